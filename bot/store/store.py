"""The bot's memory: conversations, messages, runs, tool calls and seen events, behind an async API.

Every method opens its own short session, so one ``Store`` is safe to share between
concurrent tasks, and no transaction ever stays open across an await on Slack, Jira or
the LLM. On SQLite the database runs in WAL mode with a busy timeout, and every write
transaction starts with ``BEGIN IMMEDIATE``: the driver's default (legacy) transaction
mode silently loses read-modify-write updates under concurrency.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, NoSuchModuleError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

from bot.errors import ConfigError, StoreBusy
from bot.events import RunStatus, Usage
from bot.ports import Role, Turn
from bot.store import schema
from bot.store.cascade import delete_cascading
from bot.store.models import (
    FEEDBACK_VALUES,
    FINISHED_STATUSES,
    MESSAGE_ROLES,
    RUN_TRIGGERS,
    Conversation,
    Feedback,
    Message,
    Run,
    SeenEvent,
    ToolCall,
    utcnow,
)

_VARIABLE = "DATABASE_URL"
# Marks connections of the writer engine; the "begin" hook turns it into BEGIN IMMEDIATE.
_WRITE_OPTION = "chatops_write"
_REPORTED_PRAGMAS = ("journal_mode", "busy_timeout", "synchronous", "foreign_keys")
_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+pysqlite": "sqlite+aiosqlite",
    # psycopg 3 speaks both sync and async; `postgres://` is what Procfile platforms hand out.
    "postgres": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",
    "postgresql+psycopg2": "postgresql+psycopg",
}


@dataclass(frozen=True, slots=True)
class RunRecord:
    """A run as stored, with the thread it belongs to. A snapshot, not a live row."""

    id: str
    conversation_id: int
    team_id: str
    channel_id: str
    thread_ts: str
    trigger: str
    user_id: str
    status: RunStatus
    reply_ts: str | None
    error: str | None
    usage: Usage
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATUSES


@dataclass(frozen=True, slots=True)
class StoredQuestion:
    """What ``Store.open_question`` wrote: the thread's conversation, the question, its run."""

    conversation_id: int
    message_id: int
    run_id: str


@dataclass(frozen=True, slots=True)
class ToolCallRecord:
    """One tool call of a run, as stored."""

    call_id: str
    name: str
    arguments: dict[str, Any]
    ok: bool
    summary: str
    duration_ms: int
    created_at: datetime


class Store:
    """Async access to the bot's tables. Create with ``await Store.open(url)``."""

    def __init__(self, engine: AsyncEngine, *, single_connection: bool = False) -> None:
        self._engine = engine
        self._reads = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
        self._writer = engine.execution_options(**{_WRITE_OPTION: True})
        self._writes = async_sessionmaker(self._writer, class_=AsyncSession, expire_on_commit=False)
        # SQLite has one writer at a time. Our own writers queue here, in order, so the busy
        # timeout only ever waits on other processes. An in-memory database lives on one shared
        # connection, so there readers take turns too.
        one_writer = engine.dialect.name == "sqlite"
        self._write_turns = asyncio.Lock() if one_writer else None
        self._read_turns = self._write_turns if single_connection else None

    @classmethod
    async def open(cls, database_url: str, *, busy_timeout_ms: int = 5000) -> Store:
        """Connect, configure and migrate to the newest schema (under a lock, see ``bot.store.schema``);
        a database that cannot be opened is a ConfigError."""
        url = _async_url(database_url)
        in_memory = _is_sqlite(url) and _sqlite_path(url) is None
        if _is_sqlite(url) and not in_memory:
            await _probe_sqlite_file(url, busy_timeout_ms)
        try:
            engine = create_async_engine(url, connect_args=_connect_args(url, busy_timeout_ms))
        except (NoSuchModuleError, ModuleNotFoundError):
            raise ConfigError(_VARIABLE, f"the database driver {url.drivername!r} is not installed") from None
        if _is_sqlite(url):
            _configure_sqlite(engine, busy_timeout_ms)
        store = cls(engine, single_connection=in_memory)
        try:
            await schema.upgrade(store._writer)
        except (DBAPIError, OSError) as exc:
            await engine.dispose()
            raise ConfigError(_VARIABLE, f"cannot open the database ({_reason(exc)})") from None
        except BaseException:
            await engine.dispose()
            raise
        return store

    async def close(self) -> None:
        await self._engine.dispose()

    async def ready(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            async with self._reading() as session:
                await session.exec(select(sa.literal(1)))
        except (DBAPIError, OSError, StoreBusy):
            return False
        return True

    async def diagnostics(self) -> dict[str, str]:
        """What ``chatops doctor`` reports: the backend and, on SQLite, the settings that keep data safe."""
        info = {"backend": self._engine.dialect.name}
        if info["backend"] != "sqlite":
            return info
        async with self._reading() as session:
            connection = await session.connection()
            for pragma in _REPORTED_PRAGMAS:
                result = await connection.exec_driver_sql(f"PRAGMA {pragma}")
                info[pragma] = str(result.scalar())
        return info

    async def schema_revision(self) -> str | None:
        """The Alembic revision the database is at."""
        async with self._reading() as session:
            connection = await session.connection()
            return await connection.run_sync(schema.current_revision)

    async def claim(self, key: str) -> bool:
        """Take a delivery key once: True the first time ever (across restarts and processes), then False."""
        try:
            async with self._writing() as session:
                session.add(SeenEvent(key=key))
        except IntegrityError:
            return False
        return True

    async def find_conversation(self, team_id: str, channel_id: str, thread_ts: str) -> int | None:
        async with self._reading() as session:
            return await _conversation_id(session, team_id, channel_id, thread_ts)

    async def open_conversation(self, team_id: str, channel_id: str, thread_ts: str) -> int:
        """The conversation of this thread, created on first use; concurrent callers get the same id."""
        found = await self.find_conversation(team_id, channel_id, thread_ts)
        if found is not None:
            return found
        try:
            async with self._writing() as session:
                found = await _conversation_id(session, team_id, channel_id, thread_ts)
                if found is not None:
                    return found
                conversation = Conversation(team_id=team_id, channel_id=channel_id, thread_ts=thread_ts)
                session.add(conversation)
                await session.flush()
                assert conversation.id is not None
                return conversation.id
        except IntegrityError:
            # Another process inserted it between our read and write (possible outside SQLite).
            found = await self.find_conversation(team_id, channel_id, thread_ts)
            if found is None:
                raise
            return found

    async def open_question(
        self, team_id: str, channel_id: str, thread_ts: str, *, text: str, trigger: str, user_id: str
    ) -> StoredQuestion:
        """A question and its queued run, with the thread's conversation created on first use, in one
        transaction: never a question without its run, and one writer's turn instead of three (a
        burst of questions queues behind SQLite's single writer)."""
        if trigger not in RUN_TRIGGERS:
            raise ValueError(f"unknown run trigger {trigger!r}")
        for attempt in range(2):
            try:
                async with self._writing() as session:
                    conversation_id = await _conversation_id(session, team_id, channel_id, thread_ts)
                    if conversation_id is None:
                        conversation = Conversation(
                            team_id=team_id, channel_id=channel_id, thread_ts=thread_ts
                        )
                        session.add(conversation)
                        await session.flush()
                        conversation_id = conversation.id
                    assert conversation_id is not None
                    message = Message(conversation_id=conversation_id, role="user", text=clean_text(text))
                    run = Run(conversation_id=conversation_id, trigger=trigger, user_id=user_id)
                    session.add_all([message, run])
                    await session.flush()
                    assert message.id is not None
                    return StoredQuestion(conversation_id, message.id, run.id)
            except IntegrityError:
                # Another process created the conversation between our read and our insert
                # (possible outside SQLite); the second attempt finds it.
                if attempt:
                    raise
        raise AssertionError("unreachable")

    async def add_message(
        self, conversation_id: int, role: Role, text: str, *, run_id: str | None = None
    ) -> int:
        if role not in MESSAGE_ROLES:
            raise ValueError(f"unknown message role {role!r}")
        async with self._writing() as session:
            message = Message(
                conversation_id=conversation_id, role=role, text=clean_text(text), run_id=run_id
            )
            session.add(message)
            await session.flush()
            assert message.id is not None
            return message.id

    async def history(
        self, conversation_id: int, *, before_message_id: int | None = None, limit: int = 40
    ) -> list[Turn]:
        """The last ``limit`` messages (before ``before_message_id`` if given), oldest first."""
        if limit <= 0:
            return []
        query = select(Message).where(Message.conversation_id == conversation_id)
        if before_message_id is not None:
            query = query.where(col(Message.id) < before_message_id)
        query = query.order_by(col(Message.id).desc()).limit(limit)
        async with self._reading() as session:
            newest_first = (await session.exec(query)).all()
        return [Turn(role=cast(Role, message.role), text=message.text) for message in reversed(newest_first)]

    async def create_run(self, conversation_id: int, *, trigger: str, user_id: str) -> str:
        if trigger not in RUN_TRIGGERS:
            raise ValueError(f"unknown run trigger {trigger!r}")
        async with self._writing() as session:
            run = Run(conversation_id=conversation_id, trigger=trigger, user_id=user_id)
            session.add(run)
            return run.id

    async def mark_running(self, run_id: str) -> None:
        async with self._writing() as session:
            run = await _locked_run(session, run_id)
            if run.status == "queued":
                run.status = "running"
                run.started_at = utcnow()

    async def set_reply_ts(self, run_id: str, reply_ts: str) -> None:
        async with self._writing() as session:
            run = await _locked_run(session, run_id)
            run.reply_ts = reply_ts

    async def record_tool_call(
        self,
        run_id: str,
        *,
        call_id: str,
        name: str,
        arguments: Mapping[str, Any],
        ok: bool,
        summary: str,
        duration_ms: int,
    ) -> None:
        """Store one tool call and count it on the run, in one transaction."""
        async with self._writing() as session:
            run = await _locked_run(session, run_id)
            run.tool_calls += 1
            session.add(
                ToolCall(
                    run_id=run_id,
                    call_id=call_id,
                    name=name,
                    arguments=json.dumps(dict(arguments), default=str),
                    ok=ok,
                    summary=clean_text(summary),
                    duration_ms=duration_ms,
                )
            )

    async def finish_run(
        self,
        run_id: str,
        *,
        status: RunStatus,
        usage: Usage,
        answer: str | None = None,
        error: str | None = None,
    ) -> bool:
        """Record how a run ended, and its answer, atomically.

        Returns False (and changes nothing) when the run had already finished, so a late
        or repeated call can never overwrite the first outcome.
        """
        if status not in FINISHED_STATUSES:
            raise ValueError(f"{status!r} is not a final run status")
        async with self._writing() as session:
            run = await _locked_run(session, run_id)
            if run.status in FINISHED_STATUSES:
                return False
            if answer is not None:
                session.add(
                    Message(
                        conversation_id=run.conversation_id,
                        role="assistant",
                        text=clean_text(answer),
                        run_id=run_id,
                    )
                )
            run.status = status
            run.error = None if error is None else clean_text(error)
            run.input_tokens = usage.input_tokens
            run.output_tokens = usage.output_tokens
            run.requests = usage.requests
            # Calls recorded one by one are authoritative; the agent's own count covers unrecorded ones.
            run.tool_calls = max(run.tool_calls, usage.tool_calls)
            run.finished_at = utcnow()
            return True

    async def get_run(self, run_id: str) -> RunRecord | None:
        query = _runs_with_threads().where(Run.id == run_id)
        async with self._reading() as session:
            row = (await session.exec(query)).first()
        return None if row is None else _run_record(*row)

    async def runs(self, conversation_id: int) -> list[RunRecord]:
        """The conversation's runs, oldest first."""
        query = (
            _runs_with_threads()
            .where(Run.conversation_id == conversation_id)
            .order_by(col(Run.created_at), col(Run.id))
        )
        async with self._reading() as session:
            rows = (await session.exec(query)).all()
        return [_run_record(*row) for row in rows]

    async def unfinished_runs(self) -> list[RunRecord]:
        """Runs still queued or running: after a crash these are the ones to mark interrupted."""
        query = (
            _runs_with_threads()
            .where(col(Run.status).in_(("queued", "running")))
            .order_by(col(Run.created_at), col(Run.id))
        )
        async with self._reading() as session:
            rows = (await session.exec(query)).all()
        return [_run_record(*row) for row in rows]

    async def tool_calls(self, run_id: str) -> list[ToolCallRecord]:
        query = select(ToolCall).where(ToolCall.run_id == run_id).order_by(col(ToolCall.id))
        async with self._reading() as session:
            calls = (await session.exec(query)).all()
        return [_tool_call_record(call) for call in calls]

    async def record_feedback(self, run_id: str, user_id: str, value: str, reason: str | None = None) -> None:
        """Store ``user_id``'s 👍/👎 ("up"/"down") on a run; a later click replaces an earlier one.
        A click without a reason keeps the reason given before only while the vote stays the same:
        a 👎's reason must not end up explaining a 👍."""
        if value not in FEEDBACK_VALUES:
            raise ValueError(f"unknown feedback value {value!r}")
        async with self._writing() as session:
            query = select(Feedback).where(Feedback.run_id == run_id, Feedback.user_id == user_id)
            row = (await session.exec(query)).first()
            if row is None:
                row = Feedback(run_id=run_id, user_id=user_id, value=value)
            if reason is not None:
                row.reason = clean_text(reason)
            elif row.value != value:
                row.reason = None
            row.value = value
            row.created_at = utcnow()
            session.add(row)

    async def feedback(self, run_id: str) -> dict[str, tuple[str, str | None]]:
        """The feedback on a run, by user: (value, reason)."""
        async with self._reading() as session:
            rows = (await session.exec(select(Feedback).where(Feedback.run_id == run_id))).all()
        return {row.user_id: (row.value, row.reason) for row in rows}

    async def forget_thread(self, team_id: str, channel_id: str, thread_ts: str) -> bool:
        """Delete the thread's conversation and everything stored under it (messages, runs, tool
        calls and any table that refers to them). False when nothing was stored for it."""
        conversation = Conversation.__table__  # type: ignore[attr-defined]
        async with self._writing() as session:
            conversation_id = await _conversation_id(session, team_id, channel_id, thread_ts)
            if conversation_id is None:
                return False
            await delete_cascading(session, conversation, conversation.c.id == conversation_id)
        return True

    async def prune(self, before: datetime) -> Counter[str]:
        """Delete what is older than ``before``: messages, finished runs (with what refers to
        them), delivery keys, and conversations left with neither messages nor runs.
        Returns the rows deleted per table."""
        messages, runs = Message.__table__, Run.__table__  # type: ignore[attr-defined]
        conversations, seen = Conversation.__table__, SeenEvent.__table__  # type: ignore[attr-defined]
        deleted: Counter[str] = Counter()
        async with self._writing() as session:
            deleted += await delete_cascading(session, messages, messages.c.created_at < before)
            old_runs = sa.and_(runs.c.created_at < before, runs.c.status.in_(FINISHED_STATUSES))
            deleted += await delete_cascading(session, runs, old_runs)
            empty = sa.and_(
                conversations.c.created_at < before,
                ~sa.exists().where(messages.c.conversation_id == conversations.c.id),
                ~sa.exists().where(runs.c.conversation_id == conversations.c.id),
            )
            deleted += await delete_cascading(session, conversations, empty)
            deleted += await delete_cascading(session, seen, seen.c.created_at < before)
        return +deleted

    def writing(self) -> contextlib.AbstractAsyncContextManager[AsyncSession]:
        """A write transaction (BEGIN IMMEDIATE on SQLite), for repositories of other tables."""
        return self._writing()

    def reading(self) -> contextlib.AbstractAsyncContextManager[AsyncSession]:
        """A read transaction, for repositories of other tables."""
        return self._reading()

    @contextlib.asynccontextmanager
    async def _writing(self) -> AsyncIterator[AsyncSession]:
        async with (
            _turn(self._write_turns),
            _busy_as_store_busy(),
            self._writes() as session,
            session.begin(),
        ):
            yield session

    @contextlib.asynccontextmanager
    async def _reading(self) -> AsyncIterator[AsyncSession]:
        async with _turn(self._read_turns), _busy_as_store_busy(), self._reads() as session, session.begin():
            yield session


def clean_text(text: str) -> str:
    """Text as it can be stored: NUL removed (SQLite and PostgreSQL truncate or reject it), lone
    surrogates (possible in Slack's JSON) replaced by U+FFFD, everything else verbatim."""
    text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # Round-tripping through UTF-16 re-pairs split surrogates and replaces lone ones.
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


async def _conversation_id(
    session: AsyncSession, team_id: str, channel_id: str, thread_ts: str
) -> int | None:
    query = select(Conversation.id).where(
        Conversation.team_id == team_id,
        Conversation.channel_id == channel_id,
        Conversation.thread_ts == thread_ts,
    )
    return (await session.exec(query)).first()


async def _locked_run(session: AsyncSession, run_id: str) -> Run:
    # FOR UPDATE matters on PostgreSQL; on SQLite BEGIN IMMEDIATE already serialises writers.
    run = (await session.exec(select(Run).where(Run.id == run_id).with_for_update())).first()
    if run is None:
        raise LookupError(f"no run {run_id!r}")
    return run


def _runs_with_threads() -> Select[Run, Conversation]:
    return select(Run, Conversation).join(Conversation, col(Run.conversation_id) == col(Conversation.id))


def _run_record(run: Run, conversation: Conversation) -> RunRecord:
    return RunRecord(
        id=run.id,
        conversation_id=run.conversation_id,
        team_id=conversation.team_id,
        channel_id=conversation.channel_id,
        thread_ts=conversation.thread_ts,
        trigger=run.trigger,
        user_id=run.user_id,
        status=cast(RunStatus, run.status),
        reply_ts=run.reply_ts,
        error=run.error,
        usage=Usage(run.input_tokens, run.output_tokens, run.requests, run.tool_calls),
        created_at=run.created_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
    )


def _tool_call_record(call: ToolCall) -> ToolCallRecord:
    return ToolCallRecord(
        call_id=call.call_id,
        name=call.name,
        arguments=json.loads(call.arguments),
        ok=call.ok,
        summary=call.summary,
        duration_ms=call.duration_ms,
        created_at=call.created_at,
    )


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


def _async_url(database_url: str) -> URL:
    try:
        url = make_url(database_url.strip())
    except ArgumentError:
        raise ConfigError(_VARIABLE, "expected a SQLAlchemy URL such as sqlite:///./chatops.db") from None
    return url.set(drivername=_ASYNC_DRIVERS.get(url.drivername, url.drivername))


def _is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


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
        raise ConfigError(_VARIABLE, f"the directory {str(path.parent)!r} for the SQLite file does not exist")
    try:
        await asyncio.to_thread(_read_header, path, busy_timeout_ms)
    except sqlite3.Error as exc:
        raise ConfigError(_VARIABLE, f"cannot open the database {str(path)!r} ({exc})") from None


def _read_header(path: Path, busy_timeout_ms: int) -> None:
    connection = sqlite3.connect(path, timeout=busy_timeout_ms / 1000)
    try:
        # Reading the schema version makes SQLite open and check the file, not just the path.
        connection.execute("PRAGMA schema_version").fetchone()
    finally:
        connection.close()


def _connect_args(url: URL, busy_timeout_ms: int) -> dict[str, Any]:
    if not _is_sqlite(url):
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
        writes = connection.get_execution_options().get(_WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, DBAPIError) and isinstance(exc.orig, sqlite3.Error):
        return str(exc.orig)
    # Other drivers may echo connection details, which can include credentials.
    return type(getattr(exc, "orig", exc)).__name__
