"""What a click on Details shows (``bot.slack.listeners.details``): the run's tools, to its asker only."""

from __future__ import annotations

import re

from bot.events import Usage
from bot.runs.traces import RunTraces
from bot.slack.listeners.details import NO_DETAILS, details_text, only_the_asker
from bot.store.store import Store

TEAM, CHANNEL, ASKER = "T1", "C1", "U0ASKER"


async def _answered_run(store: Store, *, thread_ts: str = "1.0") -> str:
    conversation = await store.open_conversation(TEAM, CHANNEL, thread_ts)
    run_id = await store.create_run(conversation, trigger="mention", user_id=ASKER)
    await store.mark_running(run_id)
    await store.record_tool_call(
        run_id,
        call_id="c1",
        name="jira_get_issue",
        arguments={"key": "OPS-2"},
        ok=True,
        summary="OPS-2 <b>blocked</b> by OPS-1",
        duration_ms=42,
    )
    usage = Usage(input_tokens=120, output_tokens=30, requests=2, tool_calls=1)
    await store.finish_run(run_id, status="succeeded", usage=usage, answer="OPS-2 waits on OPS-1.")
    return run_id


async def test_the_asker_sees_which_tools_ran_how_long_and_the_tokens(store: Store) -> None:
    run_id = await _answered_run(store)
    text = await details_text(RunTraces(store), run_id, team_id=TEAM, user_id=ASKER)
    assert text.startswith("*This answer* (succeeded")
    assert "150 tokens" in text and "2 LLM request(s)" in text
    assert re.search(r"`jira_get_issue` 42 ms — .*OPS-2", text)
    assert "<b>" not in text, "tool summaries are upstream data: escaped"


async def test_an_answer_without_tools_says_so(store: Store) -> None:
    conversation = await store.open_conversation(TEAM, CHANNEL, "2.0")
    run_id = await store.create_run(conversation, trigger="mention", user_id=ASKER)
    await store.finish_run(run_id, status="succeeded", usage=Usage(requests=1), answer="Hi.")
    text = await details_text(RunTraces(store), run_id, team_id=TEAM, user_id=ASKER)
    assert "No tools were called" in text


async def test_someone_else_is_told_whose_answer_it_is(store: Store) -> None:
    run_id = await _answered_run(store)
    text = await details_text(RunTraces(store), run_id, team_id=TEAM, user_id="U0OTHER")
    assert text == only_the_asker(ASKER)
    assert "jira_get_issue" not in text


async def test_unknown_foreign_or_partial_run_ids_show_nothing(store: Store) -> None:
    run_id = await _answered_run(store)
    traces = RunTraces(store)
    assert await details_text(traces, "no-such-run", team_id=TEAM, user_id=ASKER) == NO_DETAILS
    assert await details_text(traces, "", team_id=TEAM, user_id=ASKER) == NO_DETAILS
    assert await details_text(traces, run_id, team_id="T0OTHER", user_id=ASKER) == NO_DETAILS
    assert await details_text(traces, run_id[:8], team_id=TEAM, user_id=ASKER) == NO_DETAILS
