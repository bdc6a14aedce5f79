"""Retention and "forget this thread", on SQLite and PostgreSQL: old data goes, with everything
that refers to it, and a forgotten thread leaves none of its text in any table."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

from bot.config import Settings
from bot.errors import ConfigError
from bot.events import Usage
from bot.runs.retention import Retention
from bot.store.models import utcnow
from bot.store.store import Store

CANARY = "canary-text-7f3a"


async def _thread(store: Store, thread_ts: str, *, text: str = CANARY) -> tuple[int, str]:
    conversation = await store.open_conversation("T1", "C1", thread_ts)
    await store.add_message(conversation, "user", f"question {text}")
    run_id = await store.create_run(conversation, trigger="ask", user_id="U1")
    await store.record_tool_call(
        run_id,
        call_id="c1",
        name="jira_search",
        arguments={"jql": text},
        ok=False,
        summary=f"no {text}",
        duration_ms=5,
    )
    await store.finish_run(run_id, status="succeeded", usage=Usage(), answer=f"answer {text}")
    return conversation, run_id


async def _rows_with(store: Store, needle: str) -> dict[str, int]:
    """Rows of every table (also ones added later) with ``needle`` in any text column."""
    found: dict[str, int] = {}
    async with store.reading() as session:
        for table in SQLModel.metadata.sorted_tables:
            text_columns = [c for c in table.columns if isinstance(c.type, sa.String)]
            if not text_columns:
                continue
            query = sa.select(sa.func.count()).select_from(table)
            query = query.where(sa.or_(*(c.contains(needle) for c in text_columns)))
            count = (await session.exec(query)).one()[0]  # type: ignore[call-overload]
            if count:
                found[table.name] = count
    return found


async def test_forget_thread_leaves_none_of_its_text_anywhere(store: Store) -> None:
    conversation, run_id = await _thread(store, "1.0")
    await _thread(store, "2.0", text="other-thread")
    assert await _rows_with(store, CANARY)  # the test can see stored text

    assert await store.forget_thread("T1", "C1", "1.0") is True

    assert await _rows_with(store, CANARY) == {}
    assert await store.find_conversation("T1", "C1", "1.0") is None
    assert await store.get_run(run_id) is None
    assert await store.tool_calls(run_id) == []
    other = await store.find_conversation("T1", "C1", "2.0")
    assert other is not None and len(await store.history(other)) == 2
    assert await store.forget_thread("T1", "C1", "1.0") is False


async def test_prune_deletes_what_is_older_than_the_cutoff_and_keeps_the_rest(store: Store) -> None:
    _, old_run = await _thread(store, "1.0")
    assert await store.claim("event:old")
    cutoff = utcnow() + timedelta(seconds=1)  # everything so far is "old"
    deleted = await store.prune(cutoff)
    assert deleted["conversations"] == 1 and deleted["runs"] == 1 and deleted["tool_calls"] == 1
    assert deleted["messages"] == 2 and deleted["seen_events"] == 1
    assert await _rows_with(store, CANARY) == {}
    assert await store.get_run(old_run) is None

    _, new_run = await _thread(store, "2.0")
    assert await store.prune(cutoff - timedelta(days=1)) == {}
    assert await store.get_run(new_run) is not None


async def test_prune_keeps_unfinished_runs_and_their_conversation(store: Store) -> None:
    conversation = await store.open_conversation("T1", "C1", "3.0")
    running = await store.create_run(conversation, trigger="ask", user_id="U1")
    await store.mark_running(running)
    deleted = await store.prune(utcnow() + timedelta(days=1))
    assert "runs" not in deleted and "conversations" not in deleted
    assert await store.get_run(running) is not None


async def test_retention_prunes_with_its_window_and_is_off_at_zero(store: Store) -> None:
    _, run_id = await _thread(store, "1.0")
    later = utcnow() + timedelta(days=30)

    def clock() -> datetime:
        return later

    assert await Retention(store, days=31, clock=clock).prune_once() == {}
    assert await Retention(store, days=0, clock=clock).prune_once() == {}
    assert await store.get_run(run_id) is not None
    assert (await Retention(store, days=29, clock=clock).prune_once())["runs"] == 1
    assert await store.get_run(run_id) is None


async def test_retention_runs_in_the_background_every_interval(store: Store) -> None:
    sleeps: list[float] = []
    passes = asyncio.Event()

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) >= 3:
            passes.set()
        await asyncio.sleep(0)

    retention = Retention(store, days=1, sleep=sleep, interval=3600).start()
    try:
        await asyncio.wait_for(passes.wait(), timeout=10)
    finally:
        await retention.aclose()
    assert sleeps[:3] == [3600, 3600, 3600]


def test_retention_days_setting() -> None:
    assert Settings.load("doctor").retention_days == 90
    assert Settings.load("doctor", retention_days="0").retention_days == 0
    with pytest.raises(ConfigError) as caught:
        Settings.load("doctor", retention_days="-1")
    assert caught.value.variable == "RETENTION_DAYS"


async def test_closing_during_a_pass_lets_the_pass_finish(store: Store) -> None:
    await _thread(store, "1.0")
    retention = Retention(store, days=1, clock=lambda: utcnow() + timedelta(days=2)).start()
    await asyncio.sleep(0)  # the task starts its first pass and waits inside the database call
    await retention.aclose()
    assert await store.find_conversation("T1", "C1", "1.0") is None  # the pass ran to its end
