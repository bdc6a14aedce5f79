"""Run traces through the real store: a run's LLM requests and tool calls in time order, found by id or
prefix, priced, and shown for `chatops runs` / `chatops run <id>` and for `/ask why` in Slack."""

from __future__ import annotations

from datetime import timedelta

from bot.events import LlmStep, Usage
from bot.pricing import PriceTable
from bot.runs.traces import (
    NO_RUN_YET,
    RunTraces,
    details_for,
    is_details_request,
    render_details,
    render_runs,
    render_trace,
)
from bot.store.models import Run, utcnow
from bot.store.store import Store

NO_USAGE = Usage()
PRICES = PriceTable.from_setting("cheap=1000000:0,dear=0:1000000")  # $1 per input / per output token


async def _run(
    store: Store,
    *,
    channel: str = "C1",
    user: str = "U1",
    thread: str = "1.0",
    usage: Usage = NO_USAGE,
    steps: tuple[LlmStep, ...] = (),
    finish: bool = True,
) -> str:
    conversation = await store.open_conversation("T1", channel, thread)
    run_id = await store.create_run(conversation, trigger="ask", user_id=user)
    if finish:
        await store.finish_run(run_id, status="succeeded", usage=usage, answer="ok", llm_steps=steps)
    return run_id


async def test_a_run_id_prefix_must_be_unique(store: Store) -> None:
    run_id = await _run(store)
    traces = RunTraces(store)
    assert (await traces.trace(run_id[:6])) is not None
    assert (await traces.trace("zzzz")) is None


async def test_a_prefix_shorter_than_four_characters_finds_nothing(store: Store) -> None:
    run_id = await _run(store)
    traces = RunTraces(store)
    assert await traces.trace(run_id[:3]) is None
    found = await traces.trace(run_id[:4])
    assert found is not None and found.run.id == run_id


async def test_a_prefix_two_runs_share_finds_neither(store: Store) -> None:
    conversation = await store.open_conversation("T1", "C1", "1.0")
    async with store.writing() as session:  # ids chosen to share a prefix; the store makes random ones
        session.add_all(
            [
                Run(id=f"feedface000{n}", conversation_id=conversation, trigger="ask", user_id="U1")
                for n in (1, 2)
            ]
        )
    traces = RunTraces(store)

    assert await traces.trace("feedface") is None
    assert await traces.trace("feedface000") is None
    found = await traces.trace("feedface0002")
    assert found is not None and found.run.id == "feedface0002"


async def test_the_steps_are_the_llm_requests_and_tool_calls_in_time_order(store: Store) -> None:
    run_id = await _run(store, finish=False)
    await store.record_tool_call(
        run_id,
        call_id="c1",
        name="jira_search",
        arguments={"jql": "x" * 400},
        ok=False,
        summary="rate limited",
        duration_ms=12,
    )
    unfinished = await RunTraces(store).trace(run_id)
    before, after = utcnow() - timedelta(seconds=5), utcnow() + timedelta(seconds=5)
    steps = (LlmStep("cheap", 10, 2, 300, before), LlmStep("dear", 20, 4, 500, after))
    await store.finish_run(run_id, status="succeeded", usage=NO_USAGE, llm_steps=steps)

    trace = await RunTraces(store).trace(run_id)

    assert trace is not None
    steps_shown = trace.steps()
    assert [(s.kind, s.name, s.ok, s.outcome) for s in steps_shown] == [
        ("llm", "cheap", True, "done"),
        ("tool", "jira_search", False, "failed"),
        ("llm", "dear", True, "done"),
    ]
    assert steps_shown[0].detail == "10 in / 2 out"
    assert steps_shown[1].detail.endswith("… → rate limited") and len(steps_shown[1].detail) < 200
    assert unfinished is not None and unfinished.duration_ms is None, "the run had not finished"


async def test_cost_is_per_recorded_request_else_the_totals_at_the_configured_model(store: Store) -> None:
    per_request = await _run(
        store, usage=Usage(99, 99), steps=(LlmStep("cheap", 3, 9), LlmStep("dear", 9, 2))
    )
    totals_only = await _run(store, thread="2.0", usage=Usage(4, 50))
    unpriced = await _run(store, thread="3.0", steps=(LlmStep("cheap", 1, 0), LlmStep("mystery", 1, 0)))
    traces = RunTraces(store)

    costs = []
    for run_id in (per_request, totals_only, unpriced):
        trace = await traces.trace(run_id)
        assert trace is not None
        costs.append(trace.cost(PRICES, "cheap"))

    assert costs == [3 + 2, 4, None]


async def test_recent_is_newest_first_and_rendered_one_line_each(store: Store) -> None:
    older = await _run(store, usage=Usage(1, 2, 1, 0))
    newer = await _run(store, channel="C2", usage=Usage(3, 4, 1, 2))

    traces = await RunTraces(store).recent(5)
    text = render_runs(traces, PRICES, "cheap")

    assert [t.run.id for t in traces] == [newer, older]
    header, first, second = text.splitlines()
    assert header.split()[:4] == ["run", "started", "(UTC)", "status"]
    assert first.startswith(newer[:12]) and "C2" in first and "3/4" in first
    assert second.startswith(older[:12])
    assert render_runs([], PRICES, "cheap") == "no runs yet"


async def test_a_trace_shows_the_thread_the_outcome_and_every_step(store: Store) -> None:
    conversation = await store.open_conversation("T1", "C1", "9.0")
    run_id = await store.create_run(conversation, trigger="mention", user_id="U7")
    await store.finish_run(run_id, status="failed", usage=Usage(5, 0, 1), error="jira: rate limited")

    trace = await RunTraces(store).trace(run_id)
    assert trace is not None
    lines = render_trace(trace, PRICES, "cheap").splitlines()

    assert lines[0] == f"run {run_id}"
    assert lines[1] == "  thread   T1 / C1 / 9.0"
    assert lines[2].startswith("  asked by U7 via mention at ")
    assert lines[3].startswith("  outcome  failed after ") and lines[3].endswith(": jira: rate limited")
    assert "cost $5.00" in lines[4]
    assert lines[-1] == "    (none recorded)"


async def test_details_are_the_askers_newest_finished_run_in_that_channel(store: Store) -> None:
    assert await details_for(store, "T1", "C1", "U1") == NO_RUN_YET
    mine = await _run(store)
    await store.record_tool_call(
        mine, call_id="c1", name="jira_get_issue", arguments={}, ok=True, summary="OPS-2 <b>", duration_ms=42
    )
    await _run(store, user="U2", thread="2.0")  # someone else's
    await _run(store, channel="C2", thread="3.0")  # another channel
    await _run(store, thread="4.0", finish=False)  # still running

    latest = await RunTraces(store).latest_for("T1", "C1", "U1")
    text = await details_for(store, "T1", "C1", "U1")

    assert latest is not None and latest.run.id == mine
    assert text.startswith("*Your last question here* (succeeded")
    assert ":white_check_mark: `jira_get_issue` 42 ms — {} → OPS-2 &lt;b&gt;" in text


async def test_details_of_an_answer_without_tools_say_where_it_came_from(store: Store) -> None:
    trace = await RunTraces(store).trace(await _run(store, usage=Usage(10, 5, 1)))

    assert trace is not None
    text = render_details(trace, heading="This answer")
    assert text.startswith("*This answer* (succeeded, ")
    assert "1 LLM request(s), 15 tokens)" in text
    assert text.endswith("No tools were called; the answer came from the model and the thread alone.")


def test_only_why_details_and_trace_ask_for_details() -> None:
    for text in ("why", " Why? ", "DETAILS", "trace"):
        assert is_details_request(text), text
    for text in ("why is OPS-2 blocked?", "", "traces"):
        assert not is_details_request(text), text
