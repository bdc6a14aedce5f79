"""Migrations: they build exactly the tables in bot/store/models.py, on SQLite and PostgreSQL, and
two processes that start at once migrate one after the other."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlmodel import SQLModel

from bot.store import schema
from bot.store.models import utcnow
from bot.store.schema import SchemaDrift
from bot.store.store import Store


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'schema.db'}"
    return str(request.getfixturevalue("postgres_url"))


def _async(url: str) -> str:
    return url.replace("sqlite:", "sqlite+aiosqlite:", 1)


@pytest.fixture
async def engine(url: str) -> AsyncIterator[AsyncEngine]:
    created = create_async_engine(_async(url))
    yield created
    await created.dispose()


_FIRST_TABLES = ("conversations", "messages", "runs", "tool_calls", "seen_events")


def _differences(connection: sa.Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": False})
    return list(compare_metadata(context, SQLModel.metadata))


async def test_migrations_build_exactly_the_models(engine: AsyncEngine) -> None:
    # Fails when a table or column is added to bot/store/models.py without a revision:
    # make migration m="what changed"
    await schema.upgrade(engine, check=False)
    async with engine.connect() as connection:
        assert await connection.run_sync(_differences) == []
        assert await connection.run_sync(schema.current_revision) == schema.head_revision()


async def test_two_stores_opening_a_new_database_at_once_both_work(url: str) -> None:
    stores = await asyncio.gather(*(Store.open(url) for _ in range(3)))
    try:
        revisions = {await store.schema_revision() for store in stores}
        conversation = await stores[0].open_conversation("T", "C", "1.0")
        assert await stores[1].find_conversation("T", "C", "1.0") == conversation
    finally:
        for store in stores:
            await store.close()
    assert revisions == {schema.head_revision()}


async def test_two_migrate_processes_at_once(url: str) -> None:
    env = {"PATH": os.environ.get("PATH", ""), "DATABASE_URL": url}
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "migrate",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(2)
    ]
    outputs = [await process.communicate() for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    for out, _ in outputs:
        assert f"database schema at revision {schema.head_revision()}" in out.decode()


async def test_a_database_made_before_migrations_is_adopted(engine: AsyncEngine, url: str) -> None:
    # What create_all made before migrations existed: the first five tables, with data.
    before = [SQLModel.metadata.tables[name] for name in _FIRST_TABLES]
    async with engine.begin() as connection:
        await connection.run_sync(lambda sync: SQLModel.metadata.create_all(sync, tables=before))
        await connection.execute(
            sa.text("INSERT INTO seen_events (key, created_at) VALUES ('event:kept', :at)"), {"at": utcnow()}
        )
    store = await Store.open(url)
    try:
        assert await store.schema_revision() == schema.head_revision()
        assert await store.claim("event:kept") is False  # the old rows are still there
        async with engine.connect() as connection:
            assert await connection.run_sync(_differences) == []
    finally:
        await store.close()


async def test_a_table_no_migration_creates_is_named(engine: AsyncEngine, url: str) -> None:
    await schema.upgrade(engine)
    async with engine.begin() as connection:
        await connection.execute(sa.text("DROP TABLE seen_events"))
    with pytest.raises(SchemaDrift, match="seen_events.*make migration"):
        await Store.open(url)


def _migrate_to(connection: sa.Connection, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(schema.MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


_OLD_ROWS = (
    "INSERT INTO conversations (id, team_id, channel_id, thread_ts, created_at)"
    " VALUES (1, 'T', 'C', '1', :at)",
    "INSERT INTO runs (id, conversation_id, trigger, user_id, status, input_tokens, output_tokens, requests,"
    " tool_calls, created_at) VALUES ('r1', 1, 'ask', 'U', 'succeeded', 0, 0, 0, 3, :at)",
    *(
        "INSERT INTO tool_calls (run_id, call_id, name, arguments, ok, summary, duration_ms, created_at)"
        f" VALUES ('r1', '{call_id}', 'tool', '{{}}', {ok}, '{summary}', 0, :at)"
        for call_id, ok, summary in [
            ("read", "TRUE", "OPS-1"),
            ("bad", "FALSE", "not found"),
            ("write", "TRUE", "waiting for approval"),
        ]
    ),
)


async def test_tool_calls_recorded_before_outcomes_keep_what_they_said(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(_migrate_to, "0005_executors")
        for statement in _OLD_ROWS:
            await connection.execute(sa.text(statement), {"at": utcnow()})
        await connection.run_sync(_migrate_to, "head")
        rows = await connection.execute(sa.text("SELECT call_id, outcome FROM tool_calls ORDER BY id"))
        outcomes = [tuple(row) for row in rows]

    assert outcomes == [("read", "done"), ("bad", "failed"), ("write", "proposed")]
