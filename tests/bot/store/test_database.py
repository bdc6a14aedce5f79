"""Transactions on SQLite and PostgreSQL: concurrent writers (in one process or two) lose nothing,
and a database another process keeps locked past the busy timeout is StoreBusy."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.errors import StoreBusy
from bot.ports import Turn
from bot.store.store import Store


async def test_ready(store: Store) -> None:
    assert await store.ready() is True


async def test_in_memory_database_takes_concurrent_work() -> None:
    store = await Store.open("sqlite:///:memory:")
    try:
        conversation = await store.open_conversation("T", "C", "1.0")
        await asyncio.gather(*(store.add_message(conversation, "user", f"m{i}") for i in range(30)))
        assert len(await store.history(conversation, limit=100)) == 30
    finally:
        await store.close()


# --- concurrency ------------------------------------------------------------------------------


async def test_concurrent_writes_lose_nothing(store: Store, conversation: int) -> None:
    run_id = await store.create_run(conversation, trigger="ask", user_id="U1")

    async def tool_call(i: int) -> None:
        # Each call reads the run's counter and writes it back +1 in one transaction.
        await store.record_tool_call(
            run_id, call_id=f"c{i}", name="jira_get", arguments={"i": i}, ok=True, summary="ok", duration_ms=1
        )

    writes = [store.add_message(conversation, "user", f"message {i}") for i in range(200)]
    counted = [tool_call(i) for i in range(200)]
    results = await asyncio.gather(*writes, *counted, return_exceptions=True)

    assert [r for r in results if isinstance(r, BaseException)] == []
    assert len(set(results[:200])) == 200
    assert len(await store.history(conversation, limit=1000)) == 200
    run = await store.get_run(run_id)
    assert run is not None
    assert run.usage.tool_calls == 200
    assert len(await store.tool_calls(run_id)) == 200


async def test_two_stores_on_one_file_lose_no_updates(database_url: str) -> None:
    # Two stores have separate pools and in-process write queues, as two processes would;
    # only SQLite's own locking (BEGIN IMMEDIATE + busy timeout) keeps their writes apart.
    one, two = await Store.open(database_url), await Store.open(database_url)
    try:
        conversation = await one.open_conversation("T1", "C1", "1.0")
        run_id = await one.create_run(conversation, trigger="ask", user_id="U1")

        async def tool_call(store: Store, i: int) -> None:
            await store.record_tool_call(
                run_id, call_id=f"c{i}", name="t", arguments={}, ok=True, summary="", duration_ms=0
            )

        results = await asyncio.gather(
            *(tool_call(one if i % 2 else two, i) for i in range(200)),
            *((one if i % 2 else two).add_message(conversation, "user", f"m{i}") for i in range(100)),
            return_exceptions=True,
        )
        run = await two.get_run(run_id)
        history = await one.history(conversation, limit=1000)
    finally:
        await one.close()
        await two.close()
    assert [r for r in results if isinstance(r, BaseException)] == []
    assert run is not None and run.usage.tool_calls == 200
    assert len(history) == 100


# --- busy database (another process holds the write lock) -------------------------------------


async def test_write_past_busy_timeout_is_store_busy(db_url: str, db_path: Path) -> None:
    store = await Store.open(db_url, busy_timeout_ms=100)
    conversation = await store.open_conversation("T", "C", "1.0")
    other = sqlite3.connect(db_path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        with pytest.raises(StoreBusy) as caught:
            await store.claim("event:busy")
        assert caught.value.retryable is True
        with pytest.raises(StoreBusy):
            await store.add_message(conversation, "user", "blocked")
        # WAL: readers carry on while a writer holds the lock.
        assert await store.ready() is True
        other.execute("ROLLBACK")

        # The failed claim did not mark the event as processed; the retry wins.
        assert await store.claim("event:busy") is True
        await store.add_message(conversation, "user", "through")
        assert await store.history(conversation) == [Turn("user", "through")]
    finally:
        other.close()
        await store.close()


async def test_write_waits_for_a_lock_released_within_the_busy_timeout(
    sqlite_store: Store, db_path: Path
) -> None:
    other = sqlite3.connect(db_path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        pending = asyncio.create_task(sqlite_store.claim("event:waits"))
        await asyncio.sleep(0.2)  # let the claim reach SQLite's busy handler
        assert not pending.done()
        other.execute("ROLLBACK")
        assert await pending is True
    finally:
        other.close()
