"""Fixtures for the bot's own tests: a store on each database backend."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.store import Store


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    """A store at the newest schema on SQLite, then on PostgreSQL (test ids name the backend)."""
    opened = await Store.open(database_url)
    yield opened
    await opened.close()
