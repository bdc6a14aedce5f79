"""The database behind every repository: opening and migrating it, and its short transactions.

Every ``reading()`` and ``writing()`` opens its own short session, so one database object is
safe to share between concurrent tasks, and no transaction ever stays open across an await on
Slack, Jira or the LLM. A write that SQLite's busy timeout cannot fit in is ``StoreBusy``
(retryable), not a driver error.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from typing import Self

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import StoreBusy
from bot.store.engine import WRITE_OPTION, connect, is_in_memory, unusable
from bot.store.schema import current_revision, upgrade

_REPORTED_PRAGMAS = ("journal_mode", "busy_timeout", "synchronous", "foreign_keys")


class Database:
    """Transactions on the bot's database. Create with ``await Database.open(url)`` (or a subclass's)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._reads = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
        self._writer = engine.execution_options(**{WRITE_OPTION: True})
        self._writes = async_sessionmaker(self._writer, class_=AsyncSession, expire_on_commit=False)
        # SQLite has one writer at a time. Our own writers queue here, in order, so the busy
        # timeout only ever waits on other processes. An in-memory database lives on one shared
        # connection, so there readers take turns too.
        one_writer = engine.dialect.name == "sqlite"
        self._write_turns = asyncio.Lock() if one_writer else None
        self._read_turns = self._write_turns if is_in_memory(engine.url) else None

    @classmethod
    async def open(cls, database_url: str, *, busy_timeout_ms: int = 5000) -> Self:
        """Connect, configure and migrate to the newest schema (under a lock, see ``bot.store.schema``);
        a database that cannot be opened is a ConfigError."""
        engine = await connect(database_url, busy_timeout_ms)
        database = cls(engine)
        try:
            await upgrade(database._writer)
        except (DBAPIError, OSError) as exc:
            await engine.dispose()
            raise unusable(exc) from None
        except BaseException:
            await engine.dispose()
            raise
        return database

    async def close(self) -> None:
        await self._engine.dispose()

    @property
    def shared(self) -> bool:
        """Other processes may write this database at once: a PostgreSQL fleet. SQLite is one
        process's (see README, *Deploying*)."""
        return self._engine.dialect.name != "sqlite"

    async def ready(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            async with self.reading() as session:
                await session.exec(select(sa.literal(1)))
        except (DBAPIError, OSError, StoreBusy):
            return False
        return True

    async def diagnostics(self) -> dict[str, str]:
        """What ``chatops doctor`` reports: the backend and, on SQLite, the settings that keep data safe."""
        info = {"backend": self._engine.dialect.name}
        if info["backend"] != "sqlite":
            return info
        async with self.reading() as session:
            connection = await session.connection()
            for pragma in _REPORTED_PRAGMAS:
                result = await connection.exec_driver_sql(f"PRAGMA {pragma}")
                info[pragma] = str(result.scalar())
        return info

    async def schema_revision(self) -> str | None:
        """The Alembic revision the database is at."""
        async with self.reading() as session:
            connection = await session.connection()
            return await connection.run_sync(current_revision)

    @contextlib.asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncSession]:
        """A write transaction (BEGIN IMMEDIATE on SQLite), committed when the block ends."""
        async with (
            _turn(self._write_turns),
            _busy_as_store_busy(),
            self._writes() as session,
            session.begin(),
        ):
            yield session

    @contextlib.asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A read transaction."""
        async with _turn(self._read_turns), _busy_as_store_busy(), self._reads() as session, session.begin():
            yield session


@contextlib.asynccontextmanager
async def _turn(lock: asyncio.Lock | None) -> AsyncIterator[None]:
    if lock is None:
        yield
        return
    async with lock:
        yield


@contextlib.asynccontextmanager
async def _busy_as_store_busy() -> AsyncIterator[None]:
    try:
        yield
    except OperationalError as exc:
        if _is_busy(exc):
            raise StoreBusy("the database stayed locked past the busy timeout; try again") from exc
        raise


def _is_busy(exc: OperationalError) -> bool:
    code = getattr(exc.orig, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "database is locked" in str(exc.orig)
