"""Fixtures of the store's tests: a SQLite file (and a second raw connection to it, as another
process would have) and a conversation on the store of each backend."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.store.store import Store


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "chatops.db"


@pytest.fixture
def db_url(db_path: Path) -> str:
    return f"sqlite:///{db_path}"


@pytest.fixture
async def sqlite_store(db_url: str) -> AsyncIterator[Store]:
    opened = await Store.open(db_url)
    yield opened
    await opened.close()


@pytest.fixture
async def conversation(store: Store) -> int:
    return await store.open_conversation("T1", "C1", "1700000000.000100")


@pytest.fixture
def raw(db_path: Path, sqlite_store: Store) -> Iterator[sqlite3.Connection]:
    """A second, independent connection to the same file, as another process would have."""
    connection = sqlite3.connect(db_path, isolation_level=None)
    yield connection
    connection.close()
