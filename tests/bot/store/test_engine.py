"""The engine made from DATABASE_URL: SQLite's safe settings, the accepted drivers, and a clear
ConfigError (never the password) for every URL or file that cannot be used."""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from bot.errors import ConfigError
from bot.ports import Turn
from bot.store.store import Store


async def test_sqlite_runs_in_wal_with_busy_timeout_and_foreign_keys(db_url: str) -> None:
    store = await Store.open(db_url, busy_timeout_ms=1234)
    try:
        info = await store.diagnostics()
    finally:
        await store.close()
    assert info == {
        "backend": "sqlite",
        "journal_mode": "wal",
        "busy_timeout": "1234",
        "synchronous": "1",  # NORMAL
        "foreign_keys": "1",
    }


async def test_wal_mode_is_persistent_in_the_file(raw: sqlite3.Connection) -> None:
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_foreign_keys_are_enforced(store: Store) -> None:
    with pytest.raises(IntegrityError):
        await store.add_message(999, "user", "orphan")


@pytest.mark.parametrize("url", ["sqlite+aiosqlite:///{path}", "sqlite+pysqlite:///{path}"])
async def test_explicit_drivers_are_accepted(url: str, db_path: Path) -> None:
    store = await Store.open(url.format(path=db_path))
    try:
        conversation = await store.open_conversation("T", "C", "1.0")
        await store.add_message(conversation, "user", "hello")
        assert await store.history(conversation) == [Turn("user", "hello")]
    finally:
        await store.close()


async def test_missing_directory_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        await Store.open(f"sqlite:///{tmp_path}/no/such/dir/chatops.db")
    assert caught.value.variable == "DATABASE_URL"
    assert "does not exist" in str(caught.value)


async def test_directory_that_is_a_file_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ConfigError) as caught:
        await Store.open(f"sqlite:///{blocker}/chatops.db")
    assert caught.value.variable == "DATABASE_URL"


async def test_path_that_cannot_be_opened_is_a_config_error(tmp_path: Path) -> None:
    # A directory where the file should be: passes the directory check, fails when SQLite opens it.
    with pytest.raises(ConfigError) as caught:
        await Store.open(f"sqlite:///{tmp_path}")
    assert caught.value.variable == "DATABASE_URL"
    assert "cannot open the database" in str(caught.value)


@pytest.fixture
def garbage_file(tmp_path: Path) -> Path:
    path = tmp_path / "garbage.db"
    path.write_bytes(b"this is not sqlite" * 100)
    return path


async def test_file_that_is_not_a_database_is_a_config_error(garbage_file: Path) -> None:
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        await Store.open(f"sqlite:///{garbage_file}")


@pytest.mark.parametrize("url", ["not a url", "://nothing"])
async def test_malformed_url_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        await Store.open(url)


async def test_missing_driver_is_a_config_error_without_the_password() -> None:
    with pytest.raises(ConfigError) as caught:
        await Store.open("postgresql+asyncpg://bot:hunter2@127.0.0.1:5432/chatops")
    assert caught.value.variable == "DATABASE_URL"
    assert "hunter2" not in str(caught.value)


async def test_unreachable_postgresql_is_a_config_error_without_the_password() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ConfigError) as caught:
        await Store.open(f"postgres://bot:hunter2@127.0.0.1:{port}/chatops")
    assert caught.value.variable == "DATABASE_URL"
    assert "cannot open the database" in str(caught.value)
    assert "hunter2" not in str(caught.value)
