"""Scheduled digests as DBOS scheduled workflows: each due time posts once across the fleet.

Every active row of ``digest_schedules`` (the source of truth, written by ``/standup schedule``)
is a DBOS schedule named ``digest-<id>``: a cron in the schedule's time zone. Every process's
DBOS fires it, and the tick's workflow id (``sched-digest-<id>-<time>``) makes it one workflow
across all of them; its steps record the fire (``schedule_fires``), post the digest through the
``Fire`` port and record the outcome, so a crash mid-tick resumes it rather than posting twice.

Missed ticks: a process that starts (or first sees a schedule) catches up the newest due time
within ``grace`` — under the same workflow id the cron would have used, so never twice — and a
tick older than ``grace`` is recorded as skipped rather than posting a stale digest late. That
is the whole policy: at most one catch-up, older ticks skipped, never a second post.

The rows are re-read every ``resync`` seconds, so a schedule added or removed by another
process (or directly in the database) is applied within that time; an edge that adds or
removes one calls ``sync()`` at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from dbos import DBOS, ScheduleInput, SetWorkflowID

from bot.runs.engine import step
from bot.store import ScheduleRecord, Schedules, utcnow

log = logging.getLogger(__name__)

# Posts the digest of one schedule for one due time; returns what happened, in a few words.
Fire = Callable[[ScheduleRecord, datetime], Awaitable[str]]
Clock = Callable[[], datetime]

DEFAULT_GRACE = timedelta(minutes=30)
RESYNC_SECONDS = 60.0
PREFIX = "digest-"
SKIPPED = "skipped: more than the grace period late"


def process_name() -> str:
    """Who recorded a fire, for people reading the table: host, pid and a per-start nonce."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def schedule_name(schedule_id: int) -> str:
    return f"{PREFIX}{schedule_id}"


def cron_of(schedule: ScheduleRecord) -> str:
    """DBOS's cron (seconds first) for a schedule: its minute, hour and weekdays."""
    spec = schedule.spec
    return f"0 {spec.at.minute} {spec.at.hour} * * {spec.days_text}"


def tick_id(schedule: ScheduleRecord, due: datetime) -> str:
    """The workflow id DBOS gives this due time's tick (the cron's time, in its time zone)."""
    return f"sched-{schedule_name(schedule.id)}-{due.astimezone(schedule.spec.zone).isoformat()}"


class DigestScheduler:
    def __init__(
        self,
        schedules: Schedules,
        fire: Fire | None = None,
        *,
        clock: Clock = utcnow,
        grace: timedelta = DEFAULT_GRACE,
        resync: float = RESYNC_SECONDS,
        name: str | None = None,
    ) -> None:
        self._schedules = schedules
        self._fire = fire
        self._clock = clock
        self._grace = grace
        self._resync = resync
        self.name = name or process_name()  # who fired, for people reading schedule_fires
        self._applied: dict[int, str] = {}  # schedule id → cron this process applied
        self._task: asyncio.Task[None] | None = None
        global _scheduler
        _scheduler = self  # before the engine launches: it may resume a tick at once

    def use(self, fire: Fire) -> None:
        """How digests are posted (the edge's; set before the engine launches)."""
        self._fire = fire

    async def start(self) -> None:
        """Apply every active schedule, catch up what is due, then keep in step with the table."""
        await self.sync()
        self._task = asyncio.create_task(self._keep_in_sync(), name="digest-schedules")

    async def stop(self) -> None:
        global _scheduler
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if _scheduler is self:
            _scheduler = None

    async def sync(self) -> None:
        """Make DBOS's schedules match the active rows; catch up each one's newest due time."""
        active = {schedule.id: schedule for schedule in await self._schedules.active()}
        existing: dict[int, tuple[str, str | None]] = {
            int(entry["schedule_name"].removeprefix(PREFIX)): (entry["schedule"], entry.get("cron_timezone"))
            for entry in await DBOS.list_schedules_async()
            if entry["schedule_name"].startswith(PREFIX)
        }
        changed = [
            schedule
            for schedule in active.values()
            if existing.get(schedule.id) != (cron_of(schedule), schedule.spec.timezone)
        ]
        if changed:
            await DBOS.apply_schedules_async([_entry(schedule) for schedule in changed])
        for gone in existing.keys() - active.keys():
            await DBOS.delete_schedule_async(schedule_name(gone))
        for schedule in active.values():
            if self._applied.get(schedule.id) != cron_of(schedule):
                await self._catch_up(schedule)
                self._applied[schedule.id] = cron_of(schedule)
        for gone in self._applied.keys() - active.keys():
            del self._applied[gone]

    async def tick(self, schedule_id: int, scheduled_at: datetime) -> str:
        """One due time of one schedule (inside its workflow): record, post, record the outcome."""
        due = scheduled_at.astimezone(UTC)
        schedule = await self._schedules.get(schedule_id)
        if schedule is None:
            return "schedule removed"
        late = await step("digest.now", _now, self._clock) - due
        if late > self._grace:
            return SKIPPED
        if not await step("digest.claim", self._schedules.claim_fire, schedule.id, due, self.name):
            return "already fired"  # recorded before, by a tick under another id
        outcome = await step("digest.post", self._post, schedule, due)
        await step("digest.record", self._schedules.finish_fire, schedule.id, due, outcome)
        return outcome

    async def _post(self, schedule: ScheduleRecord, due: datetime) -> str:
        if self._fire is None:
            return "failed: no edge posts digests in this process"
        try:
            return await self._fire(schedule, due)
        except Exception as exc:
            log.exception("scheduled digest %s due %s failed", schedule.id, due.isoformat())
            return f"failed: {type(exc).__name__}"

    async def _catch_up(self, schedule: ScheduleRecord) -> None:
        now = self._clock()
        due = schedule.spec.latest_due(now, not_before=max(schedule.created_at, now - self._grace))
        if due is None:
            return
        # The cron's own id for that due time: whichever of the two comes first, it runs once.
        with SetWorkflowID(tick_id(schedule, due)):
            await DBOS.start_workflow_async(digest_tick, due.astimezone(schedule.spec.zone), schedule.id)

    async def _keep_in_sync(self) -> None:
        while True:
            await asyncio.sleep(self._resync)
            try:
                await self.sync()
            except Exception:
                log.exception("could not bring the digest schedules in step")


_scheduler: DigestScheduler | None = None


@DBOS.workflow(name="chatops.digest")
async def digest_tick(scheduled_at: datetime, context: Any) -> None:
    """A scheduled digest's tick, fired by DBOS's cron (or a start-up catch-up)."""
    if _scheduler is None:
        raise RuntimeError("a digest tick reached a process without a scheduler")
    outcome = await _scheduler.tick(int(context), scheduled_at)
    log.info("digest %s due %s: %s", context, scheduled_at.isoformat(), outcome)


def _entry(schedule: ScheduleRecord) -> ScheduleInput:
    return {
        "schedule_name": schedule_name(schedule.id),
        "workflow_fn": digest_tick,
        "schedule": cron_of(schedule),
        "context": schedule.id,
        "cron_timezone": schedule.spec.timezone,
        # Catch-up is ours (one tick within the grace period), not a replay of every missed one.
        "automatic_backfill": False,
    }


async def _now(clock: Clock) -> datetime:
    return clock()
