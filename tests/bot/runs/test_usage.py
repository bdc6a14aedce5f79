"""Usage by channel, user and day, from runs stored through the real store and trace repository."""

from __future__ import annotations

from bot.events import LlmStep, Usage
from bot.pricing import PriceTable
from bot.runs.traces import RunTraces, render_trace
from bot.runs.usage import render_usage, run_usage, summarize
from bot.store.store import Store

PRICES = PriceTable.from_setting("cheap=1000000:0,dear=0:1000000")  # $1 per input / per output token


async def _run(store: Store, channel: str, user: str, usage: Usage, steps: tuple[LlmStep, ...] = ()) -> str:
    conversation = await store.open_conversation("T1", channel, f"{channel}-{user}")
    run_id = await store.create_run(conversation, trigger="ask", user_id=user)
    await store.finish_run(run_id, status="succeeded", usage=usage, answer="ok", llm_steps=steps)
    return run_id


async def test_runs_are_priced_per_recorded_request_else_at_the_configured_model(store: Store) -> None:
    await _run(store, "C1", "U1", Usage(3, 5, 2), (LlmStep("cheap", 2, 4), LlmStep("dear", 1, 1)))
    await _run(store, "C1", "U2", Usage(10, 20, 1))  # no steps recorded: priced as "cheap"
    await _run(store, "C2", "U1", Usage(7, 0, 1))

    usages = await run_usage(store, PRICES, "cheap")
    by_channel = {row.key: row for row in summarize(usages, "channel")}
    assert by_channel["C1"].cost == 2 + 1 + 10 and by_channel["C1"].runs == 2
    assert by_channel["C2"].cost == 7
    by_user = summarize(usages, "user")
    # Equal cost: more tokens first.
    assert [(row.key, row.cost) for row in by_user] == [("U2", 10), ("U1", 10)]
    (day,) = summarize(usages, "day")
    assert day.runs == 3 and day.input_tokens == 20 and day.output_tokens == 25


async def test_an_unpriced_model_makes_the_cost_unknown_not_zero(store: Store) -> None:
    run_id = await _run(store, "C1", "U1", Usage(3, 5, 1), (LlmStep("mystery-model", 3, 5),))
    rows = summarize(await run_usage(store, PRICES, "cheap"), "channel")
    assert rows[0].cost is None
    assert render_usage(rows, "channel", 30).splitlines()[-1].endswith("?")
    trace = await RunTraces(store).trace(run_id)
    assert trace is not None and "cost ?" in render_trace(trace, PRICES, "cheap")
