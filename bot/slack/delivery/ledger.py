"""Where Slack budgets are kept: the ledger of token buckets (GCRA cells) and 429 pauses.

``MemoryLedger`` keeps them in this process: the console's and the tests' budget, and each
process's last view of a shared one. ``SharedLedger`` keeps them in the app's database, so all
processes serving a workspace draw on the same buckets; there every reservation is one atomic
statement, so two processes never both take the last token. A pause of (workspace, method) is
read by every reservation of the method's buckets: the first token after it comes when it
ends, then the steady rate follows, not a fresh burst that Slack would refuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.slack.delivery.tiers import Limit

NEVER = float("-inf")
_EPSILON = 1e-6


@dataclass(frozen=True, slots=True)
class Bucket:
    """One token bucket: a workspace's method, or its method in one channel for per-channel limits."""

    team: str
    method: str
    channel: str | None = None


@dataclass(frozen=True, slots=True)
class Rate:
    """A bucket's GCRA parameters: seconds per token, and how far ahead a burst may run."""

    interval: float
    tolerance: float

    @classmethod
    def of(cls, limit: Limit) -> Rate:
        return cls(limit.interval, (limit.burst - 1) * limit.interval)


@dataclass(frozen=True, slots=True)
class Cell:
    """A bucket as the ledger holds it: when it would be empty again (``tat``), and its method's pause end."""

    tat: float = NEVER
    paused_until: float = NEVER

    def start(self, rate: Rate, now: float) -> float:
        """When the next token's interval begins."""
        return max(self.tat, now, self.paused_until + rate.tolerance)

    def delay(self, rate: Rate, now: float, reserve: int = 0) -> float:
        """Seconds until a token is free while ``reserve`` more stay in the bucket (0 when free now)."""
        wait = self.start(rate, now) + reserve * rate.interval - rate.tolerance - now
        return wait if wait > _EPSILON else 0.0  # float noise is not a wait


def wait_after(tat: float, rate: Rate, now: float) -> float:
    """How long the token that moved the bucket to ``tat`` waits before it may be used."""
    return Cell(tat - rate.interval).delay(rate, now)


class Ledger(Protocol):
    """The buckets and pauses of a set of workspaces."""

    async def reserve(
        self, bucket: Bucket, rate: Rate, now: float, *, only_if_free_with: int | None = None
    ) -> float | None:
        """Take the next token; the bucket's new ``tat``. With ``only_if_free_with=n`` take it only
        if it is free now with ``n`` more left, else change nothing and return None."""
        ...

    async def peek(self, bucket: Bucket) -> Cell:
        """The bucket, without taking anything."""
        ...

    async def pause(self, bucket: Bucket, until: float) -> None:
        """Hold ``bucket`` until ``until`` (a longer pause stays)."""
        ...


class MemoryLedger:
    """Buckets and pauses in this process; its methods answer at once, so sync callers use them too."""

    def __init__(self) -> None:
        self._tats: dict[Bucket, float] = {}
        self._pauses: dict[Bucket, float] = {}

    def cell(self, bucket: Bucket) -> Cell:
        return Cell(self._tats.get(bucket, NEVER), self._pauses.get(bucket, NEVER))

    def take(
        self, bucket: Bucket, rate: Rate, now: float, *, only_if_free_with: int | None = None
    ) -> float | None:
        cell = self.cell(bucket)
        if only_if_free_with is not None and cell.delay(rate, now, only_if_free_with) > 0:
            return None
        tat = self._tats[bucket] = cell.start(rate, now) + rate.interval
        return tat

    def hold(self, bucket: Bucket, until: float) -> None:
        if until > self._pauses.get(bucket, NEVER):
            self._pauses[bucket] = until

    def note(self, bucket: Bucket, cell: Cell) -> None:
        """Remember what a shared ledger said; what was seen later is never undone by an earlier answer."""
        self._tats[bucket] = max(self._tats.get(bucket, NEVER), cell.tat)
        self.hold(bucket, cell.paused_until)

    async def reserve(
        self, bucket: Bucket, rate: Rate, now: float, *, only_if_free_with: int | None = None
    ) -> float | None:
        return self.take(bucket, rate, now, only_if_free_with=only_if_free_with)

    async def peek(self, bucket: Bucket) -> Cell:
        return self.cell(bucket)

    async def pause(self, bucket: Bucket, until: float) -> None:
        self.hold(bucket, until)


class BudgetTable(Protocol):
    """The database side of ``SharedLedger`` (``bot.store.Store`` is one): buckets by key."""

    @property
    def shared(self) -> bool:
        """Other processes may use this database at once (a fleet): only then is a shared ledger
        worth its writes."""
        ...

    async def reserve_budget(
        self,
        key: str,
        pause_key: str,
        *,
        interval: float,
        tolerance: float,
        now: float,
        only_if_free_with: int | None = None,
    ) -> float | None: ...

    async def read_budget(self, key: str, pause_key: str) -> BucketReading: ...

    async def pause_budget(self, pause_key: str, until: float) -> None: ...


class BucketReading(Protocol):
    @property
    def tat(self) -> float: ...

    @property
    def paused_until(self) -> float: ...


class SharedLedger:
    """Buckets and pauses in the app's database, shared by every process on it.

    Times must come from the wall clock: each process has a monotonic clock of its own.
    """

    def __init__(self, table: BudgetTable) -> None:
        self._table = table

    async def reserve(
        self, bucket: Bucket, rate: Rate, now: float, *, only_if_free_with: int | None = None
    ) -> float | None:
        return await self._table.reserve_budget(
            _key(bucket),
            _key(bucket),
            interval=rate.interval,
            tolerance=rate.tolerance,
            now=now,
            only_if_free_with=only_if_free_with,
        )

    async def peek(self, bucket: Bucket) -> Cell:
        reading = await self._table.read_budget(_key(bucket), _key(bucket))
        return Cell(reading.tat, reading.paused_until)

    async def pause(self, bucket: Bucket, until: float) -> None:
        await self._table.pause_budget(_key(bucket), until)


def _key(bucket: Bucket) -> str:
    # Slack's ids and method names hold no "/", so the parts cannot run into one another.
    return f"{bucket.team}/{bucket.method}/{bucket.channel or ''}"
