"""Runs and their tool calls on SQLite and PostgreSQL: the lifecycle, one outcome however many
finish a run, unfinished runs found after a restart."""

from __future__ import annotations

import asyncio
from datetime import UTC

import pytest

from bot.events import Usage
from bot.ports import Turn
from bot.store.store import Store


async def test_run_lifecycle(store: Store, conversation: int) -> None:
    run_id = await store.create_run(conversation, trigger="mention", user_id="U42")
    queued = await store.get_run(run_id)
    assert queued is not None
    assert (queued.status, queued.started_at, queued.finished_at) == ("queued", None, None)
    assert (queued.team_id, queued.channel_id, queued.thread_ts) == ("T1", "C1", "1700000000.000100")

    await store.mark_running(run_id)
    await store.set_reply_ts(run_id, "1700000000.000200")
    finished = await store.finish_run(
        run_id, status="succeeded", usage=Usage(input_tokens=10, output_tokens=5, requests=2), answer="done"
    )

    assert finished is True
    run = await store.get_run(run_id)
    assert run is not None
    assert run.status == "succeeded" and run.finished
    assert run.reply_ts == "1700000000.000200"
    assert run.usage == Usage(input_tokens=10, output_tokens=5, requests=2, tool_calls=0)
    assert run.started_at is not None and run.finished_at is not None
    assert run.created_at.tzinfo is UTC and run.finished_at.tzinfo is UTC
    assert run.created_at <= run.started_at <= run.finished_at
    assert await store.history(conversation) == [Turn("assistant", "done")]


async def test_finish_run_is_idempotent(store: Store, conversation: int) -> None:
    run_id = await store.create_run(conversation, trigger="ask", user_id="U1")
    await store.mark_running(run_id)
    assert await store.finish_run(run_id, status="succeeded", usage=Usage(output_tokens=3), answer="first")
    again = await store.finish_run(
        run_id, status="failed", usage=Usage(output_tokens=99), answer="second", error="late failure"
    )

    assert again is False
    run = await store.get_run(run_id)
    assert run is not None
    assert (run.status, run.error, run.usage.output_tokens) == ("succeeded", None, 3)
    assert await store.history(conversation) == [Turn("assistant", "first")]


async def test_concurrent_finishes_record_one_outcome(store: Store, conversation: int) -> None:
    run_id = await store.create_run(conversation, trigger="ask", user_id="U1")
    outcomes = await asyncio.gather(
        *(store.finish_run(run_id, status="succeeded", usage=Usage(), answer=f"a{i}") for i in range(10))
    )
    assert outcomes.count(True) == 1
    assert len(await store.history(conversation)) == 1


async def test_failed_run_keeps_its_error_and_no_message(store: Store, conversation: int) -> None:
    run_id = await store.create_run(conversation, trigger="dm", user_id="U1")
    await store.finish_run(run_id, status="failed", usage=Usage(requests=1), error="LLM: 503\x00")
    run = await store.get_run(run_id)
    assert run is not None
    assert (run.status, run.error) == ("failed", "LLM: 503")
    assert await store.history(conversation) == []


async def test_finish_with_a_non_final_status_is_rejected(store: Store, conversation: int) -> None:
    run_id = await store.create_run(conversation, trigger="ask", user_id="U1")
    with pytest.raises(ValueError):
        await store.finish_run(run_id, status="running", usage=Usage())


async def test_mark_running_does_not_revive_a_finished_run(store: Store, conversation: int) -> None:
    run_id = await store.create_run(conversation, trigger="ask", user_id="U1")
    await store.finish_run(run_id, status="interrupted", usage=Usage())
    await store.mark_running(run_id)
    run = await store.get_run(run_id)
    assert run is not None and run.status == "interrupted"


async def test_unknown_trigger_is_rejected(store: Store, conversation: int) -> None:
    with pytest.raises(ValueError):
        await store.create_run(conversation, trigger="cron", user_id="U1")


async def test_unknown_run(store: Store) -> None:
    assert await store.get_run("0" * 32) is None
    assert await store.tool_calls("0" * 32) == []
    with pytest.raises(LookupError):
        await store.mark_running("0" * 32)


async def test_unfinished_runs_survive_a_restart(database_url: str) -> None:
    store = await Store.open(database_url)
    conversation = await store.open_conversation("T1", "C7", "1700000000.5")
    queued = await store.create_run(conversation, trigger="ask", user_id="U1")
    running = await store.create_run(conversation, trigger="followup", user_id="U2")
    await store.mark_running(running)
    await store.set_reply_ts(running, "1700000000.6")
    done = await store.create_run(conversation, trigger="ask", user_id="U3")
    await store.finish_run(done, status="succeeded", usage=Usage(), answer="ok")
    await store.close()  # as if the process died here

    reopened = await Store.open(database_url)
    try:
        unfinished = await reopened.unfinished_runs()
    finally:
        await reopened.close()
    assert [(r.id, r.status, r.user_id, r.reply_ts) for r in unfinished] == [
        (queued, "queued", "U1", None),
        (running, "running", "U2", "1700000000.6"),
    ]
    assert {(r.team_id, r.channel_id, r.thread_ts) for r in unfinished} == {("T1", "C7", "1700000000.5")}


async def test_runs_of_a_conversation_in_creation_order(store: Store, conversation: int) -> None:
    other = await store.open_conversation("T1", "C1", "1700000000.777")
    first = await store.create_run(conversation, trigger="ask", user_id="U1")
    await store.create_run(other, trigger="ask", user_id="U1")
    second = await store.create_run(conversation, trigger="followup", user_id="U1")
    assert [r.id for r in await store.runs(conversation)] == [first, second]


async def test_tool_calls_round_trip(store: Store, conversation: int) -> None:
    run_id = await store.create_run(conversation, trigger="ask", user_id="U1")
    arguments = {"jql": "project = OPS AND text ~ '\u202e\x00'", "limit": 5, "nested": {"ok": [True, None]}}
    await store.record_tool_call(
        run_id,
        call_id="call_1",
        name="jira_search",
        arguments=arguments,
        ok=True,
        summary="3 issues",
        duration_ms=42,
    )
    await store.record_tool_call(
        run_id, call_id="call_2", name="github_pr", arguments={}, ok=False, summary="404\x00", duration_ms=7
    )
    await store.finish_run(run_id, status="succeeded", usage=Usage(tool_calls=1), answer="x")

    calls = await store.tool_calls(run_id)
    assert [(c.call_id, c.name, c.arguments, c.ok, c.summary, c.duration_ms) for c in calls] == [
        ("call_1", "jira_search", arguments, True, "3 issues", 42),
        ("call_2", "github_pr", {}, False, "404", 7),
    ]
    run = await store.get_run(run_id)
    assert run is not None and run.usage.tool_calls == 2


async def test_a_tool_call_recorded_again_stays_one_row_counted_once(store: Store, conversation: int) -> None:
    run_id = await store.create_run(conversation, trigger="ask", user_id="U1")
    for summary in ("first attempt", "a resumed run replays it"):
        await store.record_tool_call(
            run_id,
            call_id="call_1",
            name="jira_search",
            arguments={},
            ok=True,
            summary=summary,
            duration_ms=1,
        )
    await store.finish_run(run_id, status="succeeded", usage=Usage(), answer="x")

    assert [c.summary for c in await store.tool_calls(run_id)] == ["first attempt"]
    run = await store.get_run(run_id)
    assert run is not None and run.usage.tool_calls == 1


async def test_a_tool_call_of_no_run_is_refused(store: Store) -> None:
    with pytest.raises(LookupError):
        await store.record_tool_call(
            "no-such-run", call_id="c", name="jira_search", arguments={}, ok=True, summary="", duration_ms=1
        )
