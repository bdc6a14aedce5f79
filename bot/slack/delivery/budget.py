"""A per-workspace, per-method budget for Slack Web API calls.

Every write the bot makes to Slack takes a slot first: ``async with budget.slot(team, method)``.
Each (workspace, method) — or (workspace, method, channel) for per-channel limits — is a
token bucket, kept as a GCRA cell (one "theoretical arrival time" per bucket), so waiting
callers are served in the order they asked and a burst drains at the steady rate. A 429
with ``Retry-After`` pauses that bucket only (the method in that workspace, or in that channel
for a per-channel limit); everything else goes on.
The buckets and pauses are kept in a ledger (``bot.slack.delivery.ledger``): this process's
memory, or the app's database so that all processes of a workspace share one budget.

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
from bot.slack.delivery.ledger import Bucket, Cell, Ledger, MemoryLedger, Rate, wait_after
from bot.slack.delivery.tiers import Limit, limit_for

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Slot:
    """The call a task is making right now; the retry handler reads it to pause the right method."""

    team: str
    method: str
    channel: str | None = None


_CURRENT: ContextVar[Slot | None] = ContextVar("slack_budget_slot", default=None)


class BudgetExhausted(Exception):
    """No slot is free now and the caller asked not to wait (e.g. a stream start under a burst)."""

    def __init__(self, method: str, wait: float) -> None:
        super().__init__(f"{method}: no budget for {wait:.1f} s")
        self.method = method
        self.wait = wait


class SlackBudget:
    """Token buckets per (workspace, method[, channel]), each with its 429 pause.

    Without a ``ledger`` the buckets live in this process. With a shared one (``SharedLedger``:
    the app's database) every process of a workspace draws on the same buckets; then slots are
    taken and pauses recorded only through the async methods, and the sync queries (``delay``,
    ``paused_for``) answer from what this process last saw of the ledger: advice for coalescing
    and stepping down, never a slot. The clock defaults to the wall clock then, the one clock
    that processes share.
    """

    def __init__(
        self,
        *,
        limits: dict[str, Limit] | None = None,
        ledger: Ledger | None = None,
        clock: Clock | None = None,
        sleep: Sleep = asyncio.sleep,
        counters: DeliveryCounters | None = None,
        default_team: str = "",
    ) -> None:
        self._limits = limits
        self._seen = MemoryLedger()
        self._ledger: Ledger = ledger or self._seen
        self._clock = clock or (time.monotonic if ledger is None else time.time)
        self._sleep = sleep
        self.counters = counters or DeliveryCounters()
        self.default_team = default_team
        self._promised: Counter[tuple[str, str]] = Counter()

    def now(self) -> float:
        return self._clock()

    async def sleep(self, seconds: float) -> None:
        await self._sleep(seconds)

    # -- queries ---------------------------------------------------------------------------

    def delay(self, team: str, method: str, channel: str | None = None, *, reserve: int = 0) -> float:
        """Seconds until a call could go out (0 when a slot is free now) leaving ``reserve`` slots."""
        bucket, rate = self._bucket(team, method, channel)
        return self._seen.cell(bucket).delay(rate, self._clock(), reserve)

    def paused_for(self, team: str, method: str, channel: str | None = None) -> float:
        bucket, _ = self._bucket(team, method, channel)
        return max(0.0, self._seen.cell(bucket).paused_until - self._clock())

    @staticmethod
    def current() -> Slot | None:
        """The slot the calling task holds, if any."""
        return _CURRENT.get()

    # -- taking slots ----------------------------------------------------------------------

    async def ready(self, team: str, method: str, channel: str | None = None) -> None:
        """Wait until a slot would be free, without taking it (lets callers coalesce meanwhile)."""
        bucket, rate = self._bucket(team, method, channel)
        while (wait := await self._delay_now(bucket, rate)) > 0:
            await self._sleep(wait)

    async def acquire(self, team: str, method: str, channel: str | None = None) -> None:
        """Take a slot, waiting in turn for it and for any pause of the method."""
        bucket, rate = self._bucket(team, method, channel)
        tat = await self._ledger.reserve(bucket, rate, self._clock())
        assert tat is not None  # an unconditional reservation always takes its token
        self._note(bucket, Cell(tat))
        wait = wait_after(tat, rate, self._clock())
        if wait > 0:
            await self._sleep(wait)
            # A 429 elsewhere may have paused the method while this caller waited its turn.
            while (pause := (await self._look(bucket)).paused_until - self._clock()) > 0:
                await self._sleep(pause)

    async def atry_acquire(
        self, team: str, method: str, channel: str | None = None, *, reserve: int = 0
    ) -> bool:
        """Take a slot only if one is free now and ``reserve`` more would be left."""
        bucket, rate = self._bucket(team, method, channel)
        if self._seen.cell(bucket).delay(rate, self._clock(), reserve) > 0:
            return False  # this process already knows there is no room: no need to ask the ledger
        tat = await self._ledger.reserve(bucket, rate, self._clock(), only_if_free_with=reserve)
        if tat is None:
            await self._look(bucket)  # why it was refused, for the advice that follows
            return False
        self._note(bucket, Cell(tat))
        return True

    def try_acquire(self, team: str, method: str, channel: str | None = None, *, reserve: int = 0) -> bool:
        """``atry_acquire`` for a budget kept in this process."""
        bucket, rate = self._bucket(team, method, channel)
        return self._own().take(bucket, rate, self._clock(), only_if_free_with=reserve) is not None

    @contextlib.asynccontextmanager
    async def slot(
        self, team: str, method: str, *, channel: str | None = None, wait: bool = True, reserve: int = 0
    ) -> AsyncIterator[Slot]:
        """Hold a slot for one call; with ``wait=False`` raise ``BudgetExhausted`` instead of waiting
        (also when fewer than ``reserve`` further slots would be left)."""
        if wait:
            await self.acquire(team, method, channel)
        elif not await self.atry_acquire(team, method, channel, reserve=reserve):
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

    async def apause(self, team: str, method: str, seconds: float, channel: str | None = None) -> None:
        """Stop ``method`` for ``team`` (in ``channel`` alone, for a per-channel limit) for ``seconds``
        (Slack's ``Retry-After``), in every process."""
        bucket, _ = self._bucket(team, method, channel)
        until = self._clock() + max(0.0, seconds)
        self._seen.hold(bucket, until)  # this process stops at once, whatever the ledger does
        await self._ledger.pause(bucket, until)

    def pause(self, team: str, method: str, seconds: float, channel: str | None = None) -> None:
        """``apause`` for a budget kept in this process."""
        bucket, _ = self._bucket(team, method, channel)
        self._own().hold(bucket, self._clock() + max(0.0, seconds))

    def _bucket(self, team: str, method: str, channel: str | None) -> tuple[Bucket, Rate]:
        limit = limit_for(method, self._limits)
        return Bucket(team, method, channel if limit.per_channel else None), Rate.of(limit)

    async def _delay_now(self, bucket: Bucket, rate: Rate) -> float:
        # A shared ledger only ever runs later than what this process saw of it: a wait seen
        # here is certain, and only "free" needs asking.
        wait = self._seen.cell(bucket).delay(rate, self._clock())
        if wait > 0 or self._ledger is self._seen:
            return wait
        return (await self._look(bucket)).delay(rate, self._clock())

    async def _look(self, bucket: Bucket) -> Cell:
        cell = await self._ledger.peek(bucket)
        self._note(bucket, cell)
        return cell

    def _note(self, bucket: Bucket, cell: Cell) -> None:
        if self._ledger is not self._seen:
            self._seen.note(bucket, cell)

    def _own(self) -> MemoryLedger:
        if self._ledger is not self._seen:
            raise RuntimeError("this budget is shared through a ledger: use atry_acquire and apause")
        return self._seen
