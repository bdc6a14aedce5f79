"""Scheduled digests on DBOS's schedules, on SQLite and PostgreSQL: each active row is a cron in
its time zone, a missed due time within the grace period is caught up once, an older one is
skipped, and a due time posts once however many times it is started."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from dbos import DBOS, SetWorkflowID
from sqlmodel import col

from bot.runs.scheduler import SKIPPED, DigestScheduler, cron_of, digest_tick, tick_id
from bot.services import Services
from bot.store import ScheduleRecord, Schedules, utcnow
from bot.store.models import DigestSchedule
from bot.store.schedule import parse_spec

Fire = Callable[[ScheduleRecord, datetime], Awaitable[str]]


class Posts:
    """The scheduler's fire port: records what it was asked to post."""

    def __init__(self) -> None:
        self.posted: list[tuple[int, datetime]] = []

    async def __call__(self, schedule: ScheduleRecord, due: datetime) -> str:
        self.posted.append((schedule.id, due))
        return "posted"


@pytest.fixture
async def posts(services: Services) -> AsyncIterator[Posts]:
    await services.runs.start()
    yield Posts()


async def _schedule(services: Services, text: str, *, created_ago: timedelta) -> ScheduleRecord:
    spec, scope = parse_spec(text)
    schedules = Schedules(services.store)
    record = await schedules.add(team_id="T1", channel_id="C1", created_by="U1", spec=spec, scope=scope)
    backdate = (
        sa.update(DigestSchedule)
        .where(col(DigestSchedule.id) == record.id)
        .values(created_at=utcnow() - created_ago)
    )
    async with services.store.writing() as session:
        await session.exec(backdate)
    found = await schedules.get(record.id)
    assert found is not None
    return found


async def _fired(services: Services, schedule_id: int, count: int = 1) -> list[tuple[datetime, str | None]]:
    schedules = Schedules(services.store)
    for _ in range(200):
        fires = await schedules.fires(schedule_id)
        if len([fire for fire in fires if fire.outcome]) >= count:
            return [(fire.due_at, fire.outcome) for fire in fires]
        await asyncio.sleep(0.05)
    raise AssertionError(f"schedule {schedule_id} fired {len(fires)} time(s), expected {count}")


def test_a_schedule_is_a_cron_of_its_minute_hour_and_weekdays() -> None:
    spec, _ = parse_spec("weekdays 09:30 Europe/Berlin")
    record = ScheduleRecord(7, "T1", "C1", "U1", "", spec, utcnow())
    assert cron_of(record) == "0 30 9 * * mon,tue,wed,thu,fri"
    due = datetime(2026, 11, 30, 8, 30, tzinfo=UTC)  # 09:30 in Berlin
    assert tick_id(record, due) == "sched-digest-7-2026-11-30T09:30:00+01:00"


async def test_active_schedules_become_dbos_schedules_and_removed_ones_go(
    services: Services, posts: Posts
) -> None:
    record = await _schedule(services, "weekdays 09:30 Europe/Berlin OPS", created_ago=timedelta(0))
    scheduler = DigestScheduler(Schedules(services.store), posts)
    await scheduler.sync()
    (entry,) = [e for e in await DBOS.list_schedules_async() if e["schedule_name"] == f"digest-{record.id}"]
    assert (entry["schedule"], entry["cron_timezone"]) == ("0 30 9 * * mon,tue,wed,thu,fri", "Europe/Berlin")

    assert await Schedules(services.store).remove("T1", "C1", record.id)
    await scheduler.sync()
    assert [e for e in await DBOS.list_schedules_async() if e["schedule_name"].startswith("digest-")] == []
    assert posts.posted == []  # nothing was due


async def test_a_due_time_missed_within_the_grace_period_is_caught_up_once(
    services: Services, posts: Posts
) -> None:
    due = (utcnow() - timedelta(minutes=5)).replace(second=0, microsecond=0)
    record = await _schedule(services, f"daily {due:%H:%M} UTC OPS", created_ago=timedelta(minutes=20))
    first = DigestScheduler(Schedules(services.store), posts)
    await first.start()
    assert await _fired(services, record.id) == [(due, "posted")]

    # A second process (or a restart) catching up the same due time finds its workflow: no post.
    second = DigestScheduler(Schedules(services.store), posts)
    await second.sync()
    await first.stop()
    await asyncio.sleep(0.3)
    assert posts.posted == [(record.id, due)]


async def test_a_due_time_older_than_the_grace_period_is_skipped(services: Services, posts: Posts) -> None:
    due = (utcnow() - timedelta(minutes=45)).replace(second=0, microsecond=0)
    record = await _schedule(services, f"daily {due:%H:%M} UTC OPS", created_ago=timedelta(hours=2))
    scheduler = DigestScheduler(Schedules(services.store), posts)
    await scheduler.sync()  # nothing within the last 30 minutes to catch up
    with SetWorkflowID(tick_id(record, due)):  # as DBOS would fire a tick it could not run in time
        handle = await DBOS.start_workflow_async(digest_tick, due, record.id)
    await handle.get_result()
    assert posts.posted == []
    assert await Schedules(services.store).fires(record.id) == []
    assert SKIPPED.startswith("skipped")


async def test_a_tick_of_a_removed_schedule_posts_nothing(services: Services, posts: Posts) -> None:
    due = (utcnow() - timedelta(minutes=1)).replace(second=0, microsecond=0)
    record = await _schedule(services, f"daily {due:%H:%M} UTC OPS", created_ago=timedelta(hours=1))
    DigestScheduler(Schedules(services.store), posts)
    assert await Schedules(services.store).remove("T1", "C1", record.id)
    with SetWorkflowID(tick_id(record, due)):
        handle = await DBOS.start_workflow_async(digest_tick, due, record.id)
    await handle.get_result()
    assert posts.posted == []
