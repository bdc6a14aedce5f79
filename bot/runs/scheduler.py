"""The scheduler inside the app: posts each scheduled digest once per due time.

Every ``poll`` (and at the next due time, whichever comes first) it looks at every active
schedule and works out the newest due time that has passed, looking back at most ``grace``
(and never before the schedule was made). A due time is claimed in the database before the
digest is posted (``Schedules.claim_fire``), so across restarts and across processes that share
the database each due time is posted at most once; a process that was down at 09:30 and back at
09:40 catches up once, within the grace window, and a longer outage skips rather than posting a
stale digest late. The clock and the sleep are injectable so tests never wait on real time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.store import ScheduleRecord, Schedules, utcnow

log = logging.getLogger(__name__)

# Posts the digest of one schedule for one due time; returns what happened, in a few words.
Fire = Callable[[ScheduleRecord, datetime], Awaitable[str]]
Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]

DEFAULT_GRACE = timedelta(minutes=30)
DEFAULT_POLL = timedelta(seconds=30)


def process_name() -> str:
    """Who claimed a fire, for people reading the table: host, pid and a per-start nonce."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class DigestScheduler:
    def __init__(
        self,
        schedules: Schedules,
        fire: Fire,
        *,
        clock: Clock = utcnow,
        sleep: Sleep = asyncio.sleep,
        grace: timedelta = DEFAULT_GRACE,
        poll: timedelta = DEFAULT_POLL,
        name: str | None = None,
    ) -> None:
        self._schedules = schedules
        self._fire = fire
        self._clock = clock
        self._sleep = sleep
        self._grace = grace
        self._poll = poll
        self.name = name or process_name()
        self._done: set[tuple[int, datetime]] = set()  # claims this process already saw taken
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def tick(self) -> list[tuple[int, datetime]]:
        """Fire whatever is due now and not yet claimed; returns the (schedule, due time) pairs fired."""
        now = self._clock()
        due: list[tuple[ScheduleRecord, datetime]] = []
        for schedule in await self._schedules.active():
            at = schedule.spec.latest_due(now, not_before=max(schedule.created_at, now - self._grace))
            if at is not None and (schedule.id, at) not in self._done:
                due.append((schedule, at))
        fired: list[tuple[int, datetime]] = []
        async with asyncio.TaskGroup() as group:
            for schedule, at in due:
                group.create_task(self._claim_and_fire(schedule, at, fired))
        return fired

    async def _claim_and_fire(
        self, schedule: ScheduleRecord, at: datetime, fired: list[tuple[int, datetime]]
    ) -> None:
        claimed = await self._schedules.claim_fire(schedule.id, at, self.name)
        self._done.add((schedule.id, at))  # taken either way: never ask the database again
        if not claimed:
            return  # another process, or this one before a restart, has it
        fired.append((schedule.id, at))
        try:
            outcome = await self._fire(schedule, at)
        except Exception as exc:
            log.exception("scheduled digest %s due %s failed", schedule.id, at.isoformat())
            outcome = f"failed: {type(exc).__name__}"
        await self._schedules.finish_fire(schedule.id, at, outcome)

    def next_wake(self, schedules: list[ScheduleRecord], now: datetime) -> float:
        """Seconds until the next due time, but at most one poll (schedules change meanwhile)."""
        wake = now + self._poll
        for schedule in schedules:
            wake = min(wake, schedule.spec.next_due(now))
        return max(0.0, (wake - now).total_seconds())

    async def run(self) -> None:
        """Tick until stopped; a failing tick is logged and retried at the next wake."""
        while not self._stopping.is_set():
            try:
                await self.tick()
                delay = self.next_wake(await self._schedules.active(), self._clock())
            except Exception:
                log.exception("scheduler tick failed")
                delay = self._poll.total_seconds()
            await self._nap(delay)

    def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self.run(), name="digest-scheduler")

    async def stop(self, grace: float = 10.0) -> None:
        """Stop after the current tick (its posts may finish within ``grace`` seconds)."""
        self._stopping.set()
        if self._task is None:
            return
        try:
            async with asyncio.timeout(grace):
                await asyncio.shield(self._task)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None

    async def _nap(self, seconds: float) -> None:
        sleeping = asyncio.ensure_future(self._sleep(seconds))
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait([sleeping, stopping], return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in (sleeping, stopping):
                waiter.cancel()
