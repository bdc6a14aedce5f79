"""The database engine made from ``DATABASE_URL``: the async driver, and SQLite's safe settings.

On SQLite the database runs in WAL mode with a busy timeout, and every write transaction
starts with ``BEGIN IMMEDIATE``: the driver's default (legacy) transaction mode silently loses
read-modify-write updates under concurrency. A URL or file that cannot be used is a
ConfigError naming the variable, never a driver's traceback (nor its password).
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.errors import ConfigError

VARIABLE = "DATABASE_URL"
# Marks connections of the writer engine; the "begin" hook turns it into BEGIN IMMEDIATE.
WRITE_OPTION = "chatops_write"
_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+pysqlite": "sqlite+aiosqlite",
    # psycopg 3 speaks both sync and async; `postgres://` is what Procfile platforms hand out.
    "postgres": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",
    "postgresql+psycopg2": "postgresql+psycopg",
}


async def connect(database_url: str, busy_timeout_ms: int) -> AsyncEngine:
    """The engine for ``database_url``; a URL, driver or SQLite file that cannot be used is a ConfigError."""
    url = _async_url(database_url)
    if is_sqlite(url) and not is_in_memory(url):
        await _probe_sqlite_file(url, busy_timeout_ms)
    try:
        engine = create_async_engine(url, connect_args=_connect_args(url, busy_timeout_ms))
    except (NoSuchModuleError, ModuleNotFoundError):
        raise ConfigError(VARIABLE, f"the database driver {url.drivername!r} is not installed") from None
    if is_sqlite(url):
        _configure_sqlite(engine, busy_timeout_ms)
    return engine


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def is_in_memory(url: URL) -> bool:
    """An in-memory SQLite database: it lives on one shared connection."""
    return is_sqlite(url) and _sqlite_path(url) is None


def unusable(exc: BaseException) -> ConfigError:
    """The ConfigError for a database that was reached but could not be opened or migrated."""
    return ConfigError(VARIABLE, f"cannot open the database ({_reason(exc)})")


def _async_url(database_url: str) -> URL:
    try:
        url = make_url(database_url.strip())
    except ArgumentError:
        raise ConfigError(VARIABLE, "expected a SQLAlchemy URL such as sqlite:///./chatops.db") from None
    return url.set(drivername=_ASYNC_DRIVERS.get(url.drivername, url.drivername))


def _sqlite_path(url: URL) -> Path | None:
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file::memory:"):
        return None
    if database.startswith("file:"):
        database = database.removeprefix("file:").split("?", 1)[0]
    return Path(database)


async def _probe_sqlite_file(url: URL, busy_timeout_ms: int) -> None:
    """Fail with a ConfigError now if the SQLite file cannot be opened.

    Checked with the plain driver first because aiosqlite, when its own connect fails,
    leaves its worker thread to report to an event loop that may already be closed.
    """
    path = _sqlite_path(url)
    assert path is not None
    path = path.expanduser().absolute()
    if not path.parent.is_dir():
        raise ConfigError(VARIABLE, f"the directory {str(path.parent)!r} for the SQLite file does not exist")
    try:
        await asyncio.to_thread(_read_header, path, busy_timeout_ms)
    except sqlite3.Error as exc:
        raise ConfigError(VARIABLE, f"cannot open the database {str(path)!r} ({exc})") from None


def _read_header(path: Path, busy_timeout_ms: int) -> None:
    connection = sqlite3.connect(path, timeout=busy_timeout_ms / 1000)
    try:
        # Reading the schema version makes SQLite open and check the file, not just the path.
        connection.execute("PRAGMA schema_version").fetchone()
    finally:
        connection.close()


def _connect_args(url: URL, busy_timeout_ms: int) -> dict[str, Any]:
    if not is_sqlite(url):
        return {}
    # sqlite3's own timeout is the busy timeout too; set here so it holds from the first statement.
    return {"timeout": busy_timeout_ms / 1000}


def _configure_sqlite(engine: AsyncEngine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver; the "begin" hook below emits BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        # A deferred BEGIN that later writes cannot wait on the busy handler: it fails at once
        # with "database is locked". Writers take the lock up front instead.
        writes = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, DBAPIError) and isinstance(exc.orig, sqlite3.Error):
        return str(exc.orig)
    # Other drivers may echo connection details, which can include credentials.
    return type(getattr(exc, "orig", exc)).__name__
