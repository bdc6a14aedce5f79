"""A per-workspace, per-method budget for Slack Web API calls.

Every write the bot makes to Slack takes a slot first: ``async with budget.slot(team, method)``.
Each (workspace, method) — or (workspace, method, channel) for per-channel limits — is a
token bucket, kept as a GCRA cell (one "theoretical arrival time" per bucket), so waiting
callers are served in the order they asked and a burst drains at the steady rate. A 429
with ``Retry-After`` pauses that method for that workspace only; everything else goes on.

The clock and the sleep are injectable so tests can hold and release the budget without
waiting on the wall clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass

from bot.slack.delivery.counters import DeliveryCounters
from bot.slack.delivery.tiers import Limit, limit_for

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Slot:
    """The call a task is making right now; the retry handler reads it to pause the right method."""

    team: str
    method: str
    channel: str | None = None


_EPSILON = 1e-6
_CURRENT: ContextVar[Slot | None] = ContextVar("slack_budget_slot", default=None)


class BudgetExhausted(Exception):
    """No slot is free now and the caller asked not to wait (e.g. a stream start under a burst)."""

    def __init__(self, method: str, wait: float) -> None:
        super().__init__(f"{method}: no budget for {wait:.1f} s")
        self.method = method
        self.wait = wait


class _Cell:
    """One token bucket as GCRA: ``tat`` is when the bucket would be empty again."""

    def __init__(self, limit: Limit) -> None:
        self.interval = limit.interval
        self.tolerance = (limit.burst - 1) * limit.interval
        self.tat = float("-inf")

    def delay(self, now: float, reserve: int = 0) -> float:
        """How long until a token is free while ``reserve`` more stay in the bucket."""
        wait = max(self.tat, now) + reserve * self.interval - self.tolerance - now
        return wait if wait > _EPSILON else 0.0  # float noise is not a wait

    def reserve(self, now: float) -> float:
        """Take the next token; returns how long to wait until it may be used."""
        wait = self.delay(now)
        self.tat = max(self.tat, now) + self.interval
        return wait

    def hold_until(self, moment: float) -> None:
        # After a pause resume at the steady rate, not with a fresh burst that Slack would refuse.
        self.tat = max(self.tat, moment + self.tolerance)


class SlackBudget:
    """Token buckets per (workspace, method[, channel]) plus 429 pauses per (workspace, method)."""

    def __init__(
        self,
        *,
        limits: dict[str, Limit] | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        counters: DeliveryCounters | None = None,
        default_team: str = "",
    ) -> None:
        self._limits = limits
        self._clock = clock
        self._sleep = sleep
        self.counters = counters or DeliveryCounters()
        self.default_team = default_team
        self._cells: dict[tuple[str, str, str | None], _Cell] = {}
        self._paused: dict[tuple[str, str], float] = {}
        self._promised: Counter[tuple[str, str]] = Counter()

    def now(self) -> float:
        return self._clock()

    async def sleep(self, seconds: float) -> None:
        await self._sleep(seconds)

    # -- queries ---------------------------------------------------------------------------

    def delay(self, team: str, method: str, channel: str | None = None, *, reserve: int = 0) -> float:
        """Seconds until a call could go out (0 when a slot is free now) leaving ``reserve`` slots."""
        now = self._clock()
        return max(self._pause_left(team, method, now), self._cell(team, method, channel).delay(now, reserve))

    def paused_for(self, team: str, method: str) -> float:
        return self._pause_left(team, method, self._clock())

    @staticmethod
    def current() -> Slot | None:
        """The slot the calling task holds, if any."""
        return _CURRENT.get()

    # -- taking slots ----------------------------------------------------------------------

    async def ready(self, team: str, method: str, channel: str | None = None) -> None:
        """Wait until a slot would be free, without taking it (lets callers coalesce meanwhile)."""
        while (wait := self.delay(team, method, channel)) > 0:
            await self._sleep(wait)

    async def acquire(self, team: str, method: str, channel: str | None = None) -> None:
        """Take a slot, waiting in turn for it and for any pause of the method."""
        while (pause := self.paused_for(team, method)) > 0:
            await self._sleep(pause)
        wait = self._cell(team, method, channel).reserve(self._clock())
        if wait > 0:
            await self._sleep(wait)
        # A 429 elsewhere may have paused the method while this caller waited its turn.
        while (pause := self.paused_for(team, method)) > 0:
            await self._sleep(pause)

    def try_acquire(self, team: str, method: str, channel: str | None = None, *, reserve: int = 0) -> bool:
        """Take a slot only if one is free now and ``reserve`` more would be left."""
        if self.delay(team, method, channel, reserve=reserve) > 0:
            return False
        self._cell(team, method, channel).reserve(self._clock())
        return True

    @contextlib.asynccontextmanager
    async def slot(
        self, team: str, method: str, *, channel: str | None = None, wait: bool = True, reserve: int = 0
    ) -> AsyncIterator[Slot]:
        """Hold a slot for one call; with ``wait=False`` raise ``BudgetExhausted`` instead of waiting
        (also when fewer than ``reserve`` further slots would be left)."""
        if wait:
            await self.acquire(team, method, channel)
        elif not self.try_acquire(team, method, channel, reserve=reserve):
            self.counters.add(f"budget_refused:{method}")
            raise BudgetExhausted(method, self.delay(team, method, channel))
        held = Slot(team, method, channel)
        token = _CURRENT.set(held)
        try:
            yield held
        finally:
            _CURRENT.reset(token)

    # -- promises: calls that open messages will have to make ---------------------------------

    def promise(self, team: str, method: str) -> None:
        """An open message will need one ``method`` call to finish (a final update, a stream stop)."""
        self._promised[(team, method)] += 1

    def fulfil(self, team: str, method: str) -> None:
        if self._promised[(team, method)] > 0:
            self._promised[(team, method)] -= 1

    def promised(self, team: str, method: str) -> int:
        """How many finishing calls of ``method`` open messages are owed; interim calls leave them room."""
        return self._promised[(team, method)]

    # -- 429s ------------------------------------------------------------------------------

    def pause(self, team: str, method: str, seconds: float) -> None:
        """Stop ``method`` for ``team`` for ``seconds`` (Slack's ``Retry-After``)."""
        until = self._clock() + max(0.0, seconds)
        self._paused[(team, method)] = max(self._paused.get((team, method), until), until)
        for (cell_team, cell_method, _), cell in self._cells.items():
            if (cell_team, cell_method) == (team, method):
                cell.hold_until(until)

    def _pause_left(self, team: str, method: str, now: float) -> float:
        return self._paused.get((team, method), now) - now

    def _cell(self, team: str, method: str, channel: str | None) -> _Cell:
        limit = limit_for(method, self._limits)
        key = (team, method, channel if limit.per_channel else None)
        cell = self._cells.get(key)
        if cell is None:
            cell = self._cells[key] = _Cell(limit)
            if (team, method) in self._paused:  # a bucket first used after (or during) a pause
                cell.hold_until(self._paused[(team, method)])
        return cell
