"""Token usage and its cost, summed by channel, user or day, for ``chatops usage``.

Runs are priced per LLM request where those were recorded (each request names its model), and
otherwise at the configured model. Grouping happens here rather than in SQL, so it reads the
same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlmodel import col, select

from bot.pricing import PriceTable, format_cost
from bot.store import Conversation, LlmCall, Run, Store, utcnow

GroupBy = Literal["channel", "user", "day"]
GROUPINGS: tuple[GroupBy, ...] = ("channel", "user", "day")
DEFAULT_DAYS = 30


@dataclass(frozen=True, slots=True)
class RunUsage:
    """One run's tokens, who and where, and its cost (None when a model has no known price)."""

    channel_id: str
    user_id: str
    created_at: datetime
    input_tokens: int
    output_tokens: int
    requests: int
    cost: float | None


@dataclass(frozen=True, slots=True)
class UsageRow:
    key: str
    runs: int
    requests: int
    input_tokens: int
    output_tokens: int
    cost: float | None


async def run_usage(
    store: Store, prices: PriceTable, default_model: str, *, days: int = DEFAULT_DAYS
) -> list[RunUsage]:
    """Every run of the last ``days`` days, priced."""
    since = utcnow() - timedelta(days=days)
    runs = (
        select(Run, Conversation.channel_id)
        .join(Conversation, col(Run.conversation_id) == col(Conversation.id))
        .where(col(Run.created_at) >= since)
    )
    calls = select(LlmCall).join(Run, col(LlmCall.run_id) == col(Run.id)).where(col(Run.created_at) >= since)
    async with store.reading() as session:
        run_rows = (await session.exec(runs)).all()
        call_rows = (await session.exec(calls)).all()
    by_run: dict[str, list[LlmCall]] = defaultdict(list)
    for call in call_rows:
        by_run[call.run_id].append(call)
    return [_priced(run, channel, by_run.get(run.id, []), prices, default_model) for run, channel in run_rows]


def summarize(usages: Iterable[RunUsage], by: GroupBy) -> list[UsageRow]:
    """Totals per group, the most expensive (then the most tokens) first; days in date order."""
    groups: dict[str, list[RunUsage]] = defaultdict(list)
    for usage in usages:
        groups[_key(usage, by)].append(usage)
    rows = [_total(key, members) for key, members in groups.items()]
    if by == "day":
        return sorted(rows, key=lambda row: row.key)
    return sorted(
        rows, key=lambda row: (-(row.cost or 0.0), -(row.input_tokens + row.output_tokens), row.key)
    )


def render_usage(rows: Sequence[UsageRow], by: GroupBy, days: int) -> str:
    if not rows:
        return f"no runs in the last {days} days"
    lines = [f"{by:<12}  {'runs':>5}  {'requests':>8}  {'tokens in':>10}  {'tokens out':>10}  cost"]
    for row in rows:
        lines.append(_line(row))
    total = UsageRow(
        "total",
        sum(row.runs for row in rows),
        sum(row.requests for row in rows),
        sum(row.input_tokens for row in rows),
        sum(row.output_tokens for row in rows),
        _sum_costs(row.cost for row in rows),
    )
    lines.append(_line(total))
    return "\n".join(lines)


def _line(row: UsageRow) -> str:
    tokens = f"{row.input_tokens:>10}  {row.output_tokens:>10}"
    return f"{row.key:<12}  {row.runs:>5}  {row.requests:>8}  {tokens}  {format_cost(row.cost)}"


def _priced(
    run: Run, channel_id: str, calls: list[LlmCall], prices: PriceTable, default_model: str
) -> RunUsage:
    if calls:
        cost = _sum_costs(prices.cost(c.model, c.input_tokens, c.output_tokens) for c in calls)
    else:
        cost = prices.cost(default_model, run.input_tokens, run.output_tokens)
    return RunUsage(
        channel_id, run.user_id, run.created_at, run.input_tokens, run.output_tokens, run.requests, cost
    )


def _key(usage: RunUsage, by: GroupBy) -> str:
    if by == "channel":
        return usage.channel_id
    if by == "user":
        return usage.user_id
    return f"{usage.created_at:%Y-%m-%d}"


def _total(key: str, members: Sequence[RunUsage]) -> UsageRow:
    return UsageRow(
        key,
        len(members),
        sum(m.requests for m in members),
        sum(m.input_tokens for m in members),
        sum(m.output_tokens for m in members),
        _sum_costs(m.cost for m in members),
    )


def _sum_costs(costs: Iterable[float | None]) -> float | None:
    """A sum with an unknown part is unknown: never show a partial figure as the cost."""
    values = list(costs)
    if any(value is None for value in values):
        return None
    return sum(value or 0.0 for value in values)
