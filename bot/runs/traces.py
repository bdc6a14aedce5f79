"""Run traces: each run with its steps (LLM requests and tool calls), stored and shown.

The store keeps runs, their tool calls and their LLM requests (``llm_calls``); a run's usage is
what those steps add up to. A trace is read back for ``chatops runs`` / ``chatops run <id>`` in the
terminal and for ``/ask why`` in Slack, which shows which tools the last answer used, how long each
took and how each ended: done or failed, and for a proposed write proposed, denied or expired.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlmodel import col, select

from bot.pricing import PriceTable, format_cost
from bot.store import Conversation, LlmCall, Run, RunRecord, Store, ToolCallRecord
from bot.text import escape

DEFAULT_LAST = 20
_ARGUMENT_CHARS = 160
_MARKS = {
    "done": ":white_check_mark:",
    "failed": ":x:",
    "proposed": ":hourglass_flowing_sand:",
    "denied": ":no_entry_sign:",
    "expired": ":clock3:",
}


@dataclass(frozen=True, slots=True)
class LlmCallRecord:
    model: str
    input_tokens: int
    output_tokens: int
    duration_ms: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Step:
    """One line of a trace, in time order."""

    at: datetime
    kind: Literal["llm", "tool"]
    name: str  # the model, or the tool
    duration_ms: int
    ok: bool
    detail: str
    outcome: str = "done"  # a tool call's: done, failed; a proposed write's: proposed, denied, expired


@dataclass(frozen=True, slots=True)
class RunTrace:
    run: RunRecord
    tools: tuple[ToolCallRecord, ...]
    llm: tuple[LlmCallRecord, ...]

    @property
    def duration_ms(self) -> int | None:
        start = self.run.started_at or self.run.created_at
        if self.run.finished_at is None:
            return None
        return max(0, int((self.run.finished_at - start).total_seconds() * 1000))

    def steps(self) -> list[Step]:
        llm = [
            Step(
                c.created_at,
                "llm",
                c.model,
                c.duration_ms,
                True,
                f"{c.input_tokens} in / {c.output_tokens} out",
            )
            for c in self.llm
        ]
        tools = [
            Step(
                t.created_at, "tool", t.name, t.duration_ms, t.ok, f"{_arguments(t)} → {t.summary}", t.outcome
            )
            for t in self.tools
        ]
        return sorted([*llm, *tools], key=lambda step: step.at)

    def cost(self, prices: PriceTable, default_model: str) -> float | None:
        """Priced per LLM request when they were recorded, else the run's totals at the configured model."""
        if not self.llm:
            usage = self.run.usage
            return prices.cost(default_model, usage.input_tokens, usage.output_tokens)
        costs = [prices.cost(c.model, c.input_tokens, c.output_tokens) for c in self.llm]
        return None if any(cost is None for cost in costs) else sum(cost or 0.0 for cost in costs)


class RunTraces:
    """Reads runs back with their steps (a run records them as it goes: ``bot.store``)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def llm_calls(self, run_id: str) -> tuple[LlmCallRecord, ...]:
        query = select(LlmCall).where(LlmCall.run_id == run_id).order_by(col(LlmCall.id))
        async with self._store.reading() as session:
            calls = (await session.exec(query)).all()
        return tuple(
            LlmCallRecord(c.model, c.input_tokens, c.output_tokens, c.duration_ms, c.created_at)
            for c in calls
        )

    async def trace(self, run_id: str) -> RunTrace | None:
        """The run with this id, or the only run whose id starts with it."""
        run = await self._store.get_run(run_id)
        if run is None and len(run_id) >= 4:
            query = select(Run.id).where(col(Run.id).startswith(run_id, autoescape=True)).limit(2)
            async with self._store.reading() as session:
                found = (await session.exec(query)).all()
            run = await self._store.get_run(found[0]) if len(found) == 1 else None
        if run is None:
            return None
        tools = tuple(await self._store.tool_calls(run.id))
        return RunTrace(run, tools, await self.llm_calls(run.id))

    async def recent(self, last: int = DEFAULT_LAST) -> list[RunTrace]:
        """The last ``last`` runs, newest first."""
        query = select(Run.id).order_by(col(Run.created_at).desc(), col(Run.id).desc()).limit(max(1, last))
        return await self._traces(query)

    async def latest_for(self, team_id: str, channel_id: str, user_id: str) -> RunTrace | None:
        """The newest finished run a person started in a channel (what ``/ask why`` explains)."""
        query = (
            select(Run.id)
            .join(Conversation, col(Run.conversation_id) == col(Conversation.id))
            .where(
                Conversation.team_id == team_id,
                Conversation.channel_id == channel_id,
                Run.user_id == user_id,
                col(Run.finished_at).is_not(None),
            )
            .order_by(col(Run.created_at).desc(), col(Run.id).desc())
            .limit(1)
        )
        traces = await self._traces(query)
        return traces[0] if traces else None

    async def _traces(self, query: object) -> list[RunTrace]:
        async with self._store.reading() as session:
            ids = list((await session.exec(query)).all())  # type: ignore[call-overload]
        traces = [await self.trace(str(run_id)) for run_id in ids]
        return [trace for trace in traces if trace is not None]


# -- rendering --------------------------------------------------------------------------------


def render_runs(traces: Sequence[RunTrace], prices: PriceTable, default_model: str) -> str:
    """``chatops runs``: one line per run, newest first."""
    if not traces:
        return "no runs yet"
    header = f"{'run':<12}  {'started (UTC)':<19}  {'status':<11}  {'trigger':<8}  {'channel':<11}  "
    header += f"{'time':>7}  {'tools':>5}  {'tokens in/out':>15}  cost"
    lines = [header]
    for trace in traces:
        run = trace.run
        tokens = f"{run.usage.input_tokens}/{run.usage.output_tokens}"
        lines.append(
            f"{run.id[:12]:<12}  {run.created_at:%Y-%m-%d %H:%M:%S}  {run.status:<11}  {run.trigger:<8}  "
            f"{run.channel_id[:11]:<11}  {_ms(trace.duration_ms):>7}  {run.usage.tool_calls:>5}  "
            f"{tokens:>15}  {format_cost(trace.cost(prices, default_model))}"
        )
    return "\n".join(lines)


def render_trace(trace: RunTrace, prices: PriceTable, default_model: str) -> str:
    """``chatops run <id>``: the run, then every step in order."""
    run = trace.run
    usage = run.usage
    lines = [
        f"run {run.id}",
        f"  thread   {run.team_id} / {run.channel_id} / {run.thread_ts}",
        f"  asked by {run.user_id} via {run.trigger} at {run.created_at:%Y-%m-%d %H:%M:%S} UTC",
        f"  outcome  {run.status} after {_ms(trace.duration_ms)}" + (f": {run.error}" if run.error else ""),
        f"  usage    {usage.requests} LLM request(s), {usage.tool_calls} tool call(s), "
        f"{usage.input_tokens} tokens in / {usage.output_tokens} out, "
        f"cost {format_cost(trace.cost(prices, default_model))}",
        "  steps",
    ]
    steps = trace.steps()
    if not steps:
        lines.append("    (none recorded)")
    for step in steps:
        lines.append(
            f"    {step.at:%H:%M:%S}  {step.kind:<4}  {step.outcome:<8}  {step.name:<24}  "
            f"{_ms(step.duration_ms):>7}  {step.detail}"
        )
    return "\n".join(lines)


def render_details(trace: RunTrace, heading: str = "Your last question here") -> str:
    """What ``/ask why`` (and an answer's Details button) shows in Slack: the tools the answer used
    and how long each took.

    Tool summaries and the model name come from upstream data and the model: escaped.
    """
    run = trace.run
    head = f"*{heading}* ({run.status}, {_ms(trace.duration_ms)}, "
    head += f"{run.usage.requests} LLM request(s), {run.usage.input_tokens + run.usage.output_tokens} tokens)"
    steps = trace.steps()
    tools = [step for step in steps if step.kind == "tool"]
    if not tools:
        return head + "\nNo tools were called; the answer came from the model and the thread alone."
    lines = [head, "Tools called, in order:"]
    for step in tools:
        mark = _MARKS.get(step.outcome, ":x:")
        lines.append(f"{mark} `{escape(step.name)}` {_ms(step.duration_ms)} — {escape(step.detail)}")
    return "\n".join(lines)


def _arguments(call: ToolCallRecord) -> str:
    text = json.dumps(call.arguments, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= _ARGUMENT_CHARS else text[: _ARGUMENT_CHARS - 1] + "…"


def _ms(value: int | None) -> str:
    if value is None:
        return "-"
    return f"{value} ms" if value < 10_000 else f"{value / 1000:.1f} s"


DETAILS_WORDS = frozenset({"why", "why?", "details", "trace"})
NO_RUN_YET = "You haven't asked me anything in this channel yet, so there is nothing to explain."


def is_details_request(text: str) -> bool:
    """``/ask why`` (or ``details``): a request to see how the last answer came about, not a question."""
    return text.strip().lower() in DETAILS_WORDS


async def details_for(store: Store, team_id: str, channel_id: str, user_id: str) -> str:
    """The Slack text for ``/ask why``: the asker's newest finished run in this channel."""
    trace = await RunTraces(store).latest_for(team_id, channel_id, user_id)
    return NO_RUN_YET if trace is None else render_details(trace)
