"""The database schema: Alembic migrations applied at start-up under a lock, and new revisions.

Every process migrates on start-up, so the lock matters: on SQLite the whole upgrade runs in
one ``BEGIN IMMEDIATE`` transaction, on PostgreSQL under a transaction-scoped advisory lock.
Two processes starting together migrate one after the other; the second finds nothing to do.

A table added to ``bot/store/models.py`` needs a revision: ``make migration m="what changed"``.
"""

from __future__ import annotations

import asyncio
import functools
import subprocess
import sys
import tempfile
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlmodel import SQLModel

import bot.store.models  # noqa: F401  # registers every table on SQLModel.metadata
from bot.errors import BotError

MIGRATIONS = Path(__file__).parent / "migrations"
# pg_advisory_xact_lock key: any constant that other applications on the server are unlikely to use.
_LOCK_KEY = 0x63686174_6F7073
_VERSION_TABLE = "alembic_version"
_TABLES_ONLY = "0005_executors"  # every revision up to this one only creates tables


class SchemaDrift(BotError):
    """A table in bot/store/models.py that no migration creates."""


@functools.cache
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Module-safe file names (no leading digit), so ruff and mypy treat revisions as code.
    config.set_main_option("file_template", "rev_%%(rev)s_%%(slug)s")
    return config


async def upgrade(engine: AsyncEngine, *, check: bool = True) -> None:
    """Bring the database to the newest revision. ``engine`` must start write transactions
    (the store's writer engine: BEGIN IMMEDIATE on SQLite)."""
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        await connection.run_sync(_upgrade)
        missing = await connection.run_sync(missing_tables) if check else []
    if missing:
        raise SchemaDrift(
            f"table(s) {', '.join(missing)} are in bot/store/models.py but in no migration; "
            'add one with `make migration m="add ..."`'
        )


def current_revision(connection: sa.Connection) -> str | None:
    heads = _current_heads(connection)
    return ",".join(sorted(heads)) if heads else None


def head_revision() -> str | None:
    return _script().get_current_head()


def missing_tables(connection: sa.Connection) -> list[str]:
    present = set(sa.inspect(connection).get_table_names())
    return sorted(name for name in SQLModel.metadata.tables if name not in present)


def _current_heads(connection: sa.Connection) -> set[str]:
    # Read directly rather than through alembic's MigrationContext, which logs at INFO each time.
    if _VERSION_TABLE not in sa.inspect(connection).get_table_names():
        return set()
    return {str(row[0]) for row in connection.execute(sa.text(f"SELECT version_num FROM {_VERSION_TABLE}"))}


def _upgrade(connection: sa.Connection) -> None:
    heads = _current_heads(connection)
    if heads == set(_script().get_heads()):
        return  # the common case on every start-up: nothing to load, nothing to run
    config = _config()
    config.attributes["connection"] = connection
    if not heads and "conversations" in sa.inspect(connection).get_table_names():
        # Made by create_all before migrations existed: add the tables it lacks the same way, adopt
        # it at the last revision that only creates tables, and run the ones that alter columns.
        SQLModel.metadata.create_all(connection)
        command.stamp(config, _TABLES_ONLY)
        command.upgrade(config, "head")
        return
    command.upgrade(config, "head")


def new_revision(message: str, *, rev_id: str | None = None) -> Path:
    """Write a revision for whatever bot/store/models.py has that the migrations do not (autogenerate
    against a scratch SQLite database at head), formatted by ruff. Returns its path."""
    with tempfile.TemporaryDirectory() as scratch:
        engine = create_async_engine(f"sqlite+aiosqlite:///{scratch}/scratch.db")
        path = asyncio.run(_autogenerate(engine, message, rev_id))
    ruff = Path(sys.executable).parent / "ruff"
    if ruff.exists():
        subprocess.run([str(ruff), "format", "--quiet", str(path)], check=False)
        subprocess.run([str(ruff), "check", "--fix", "--quiet", str(path)], check=False)
    return path


async def _autogenerate(engine: AsyncEngine, message: str, rev_id: str | None) -> Path:
    try:
        await upgrade(engine, check=False)
        async with engine.begin() as connection:
            return await connection.run_sync(_revision, message, rev_id)
    finally:
        await engine.dispose()


def _revision(connection: sa.Connection, message: str, rev_id: str | None) -> Path:
    config = _config()
    config.attributes["connection"] = connection
    script = command.revision(config, message=message, autogenerate=True, rev_id=rev_id)
    assert script is not None and not isinstance(script, list)
    return Path(script.path)


if __name__ == "__main__":  # make migration m="..."
    print(new_revision(" ".join(sys.argv[1:]) or "schema change"))
