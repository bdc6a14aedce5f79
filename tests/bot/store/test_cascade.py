"""Deleting rows with everything that refers to them, on SQLite and PostgreSQL: found by walking the
foreign keys (at any depth), counted per table, and nothing else touched."""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa
from sqlmodel import SQLModel

from bot.events import Usage
from bot.store.approvals import Approvals, Asker, Proposal
from bot.store.cascade import delete_cascading
from bot.store.models import LlmCall, Run
from bot.store.store import Store

ASKER = Asker(team_id="T1", user_id="U1", channel="C1", thread_ts="1.0")


async def _run_with_everything(store: Store, conversation: int) -> str:
    """A finished run with a row in every table that can refer to a run, two of them through
    ``paused_runs`` (approvals refer to the paused run, not to the run)."""
    run_id = await store.create_run(conversation, trigger="ask", user_id="U1")
    await store.record_tool_call(
        run_id, call_id="c1", name="jira_search", arguments={}, ok=True, summary="", duration_ms=1
    )
    proposals = [Proposal(f"w{i}", "jira_add_comment", {"key": "OPS-1"}, "preview") for i in range(2)]
    await Approvals(store).pause(run_id, conversation, "[history]", ASKER, proposals)
    async with store.writing() as session:
        session.add(LlmCall(run_id=run_id, model="m", input_tokens=1, output_tokens=1))
    await store.record_feedback(run_id, "U1", "up")
    await store.finish_run(run_id, status="succeeded", usage=Usage(), answer="the answer")
    return run_id


async def _counts(store: Store) -> Counter[str]:
    counts: Counter[str] = Counter()
    async with store.reading() as session:
        for table in SQLModel.metadata.sorted_tables:
            counts[table.name] = await session.scalar(sa.select(sa.func.count()).select_from(table)) or 0
    return +counts


async def test_a_deleted_run_takes_every_row_that_refers_to_it_at_any_depth(store: Store) -> None:
    conversation = await store.open_conversation("T1", "C1", "1.0")
    doomed = await _run_with_everything(store, conversation)
    await _run_with_everything(store, conversation)
    before = await _counts(store)
    runs = Run.__table__  # type: ignore[attr-defined]

    async with store.writing() as session:
        deleted = await delete_cascading(session, runs, runs.c.id == doomed)

    # Three tool calls: the one recorded, and the two proposals, each a step of the paused run.
    assert +deleted == Counter(
        runs=1, tool_calls=3, paused_runs=1, approvals=2, llm_calls=1, feedback=1, messages=1
    )
    assert await _counts(store) == before - deleted  # the other run and the conversation stay
    assert await store.get_run(doomed) is None


async def test_a_condition_that_matches_nothing_deletes_nothing(store: Store) -> None:
    conversation = await store.open_conversation("T1", "C1", "1.0")
    await _run_with_everything(store, conversation)
    before = await _counts(store)
    runs = Run.__table__  # type: ignore[attr-defined]

    async with store.writing() as session:
        deleted = await delete_cascading(session, runs, runs.c.id == "0" * 32)

    assert +deleted == Counter()
    assert await _counts(store) == before
