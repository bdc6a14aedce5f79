"""The digest scheduler on SQLite and PostgreSQL: once per due time, across processes and restarts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from bot.runs.scheduler import DigestScheduler
from bot.store.models import DigestSchedule
from bot.store.schedule import parse_spec
from bot.store.schedules import ScheduleRecord, Schedules
from bot.store.store import Store
from tests.manual_clock import ManualClock, until

# Monday 2026-11-30, 09:30 in Berlin is 08:30 UTC.
DUE = datetime(2026, 11, 30, 8, 30, tzinfo=UTC)
CREATED = DUE - timedelta(days=3)

OpenStore = Callable[[], Awaitable[Store]]


class Posts:
    """The fire port of the scheduler, recording what it was asked to post."""

    def __init__(self) -> None:
        self.posted: list[tuple[int, datetime, str]] = []

    def by(self, who: str) -> Callable[[ScheduleRecord, datetime], Awaitable[str]]:
        async def fire(schedule: ScheduleRecord, due: datetime) -> str:
            await asyncio.sleep(0)  # a real post awaits Slack: let the other scheduler run meanwhile
            self.posted.append((schedule.id, due, who))
            return "posted"

        return fire


@pytest.fixture
async def open_store(database_url: str) -> AsyncIterator[OpenStore]:
    """Opens the same database again each call, like another process (or a restart) would."""
    opened: list[Store] = []

    async def open_one() -> Store:
        store = await Store.open(database_url)
        opened.append(store)
        return store

    yield open_one
    for store in opened:
        await store.close()


async def _schedule(store: Store) -> ScheduleRecord:
    spec, scope = parse_spec("weekdays 09:30 Europe/Berlin OPS")
    schedule = await Schedules(store).add(
        team_id="T1", channel_id="C1", created_by="U1", spec=spec, scope=scope
    )
    return schedule


def _at(when: datetime) -> Callable[[], datetime]:
    return lambda: when


@pytest.fixture
async def schedule(open_store: OpenStore) -> ScheduleRecord:
    store = await open_store()
    record = await _schedule(store)
    # Made three days before the due time (the created_at default is the real now).
    async with store.writing() as session:
        await session.exec(update(DigestSchedule).values(created_at=CREATED))
    return record


async def test_two_processes_on_one_database_post_a_due_digest_once(
    open_store: OpenStore, schedule: ScheduleRecord
) -> None:
    posts = Posts()
    now = _at(DUE + timedelta(seconds=20))
    first = DigestScheduler(Schedules(await open_store()), posts.by("a"), clock=now, name="a")
    second = DigestScheduler(Schedules(await open_store()), posts.by("b"), clock=now, name="b")

    fired = await asyncio.gather(first.tick(), second.tick(), first.tick(), second.tick())

    assert sum(len(pairs) for pairs in fired) == 1
    assert len(posts.posted) == 1 and posts.posted[0][:2] == (schedule.id, DUE)
    (fire,) = await Schedules(await open_store()).fires(schedule.id)
    assert fire.due_at == DUE and fire.outcome == "posted" and fire.claimed_by == posts.posted[0][2]


async def test_a_restart_after_the_claim_does_not_post_again(
    open_store: OpenStore, schedule: ScheduleRecord
) -> None:
    posts = Posts()
    started = asyncio.Event()

    async def crash_while_posting(record: ScheduleRecord, due: datetime) -> str:
        started.set()
        await asyncio.Event().wait()  # the process dies here, after claiming, before posting
        return "never"

    store = await open_store()
    before = DigestScheduler(Schedules(store), crash_while_posting, clock=_at(DUE + timedelta(seconds=5)))
    crashed = asyncio.create_task(before.tick())
    await started.wait()
    crashed.cancel()
    await store.close()

    after = DigestScheduler(
        Schedules(await open_store()), posts.by("restarted"), clock=_at(DUE + timedelta(minutes=1))
    )
    assert await after.tick() == []
    assert posts.posted == []


async def test_a_fire_missed_while_down_is_caught_up_once_within_the_grace_window(
    open_store: OpenStore, schedule: ScheduleRecord
) -> None:
    posts = Posts()
    store = await open_store()
    late = DigestScheduler(
        Schedules(store),
        posts.by("late"),
        clock=_at(DUE + timedelta(minutes=10)),
        grace=timedelta(minutes=30),
    )
    assert await late.tick() == [(schedule.id, DUE)]
    assert await late.tick() == []
    again = DigestScheduler(
        Schedules(await open_store()), posts.by("again"), clock=_at(DUE + timedelta(minutes=20))
    )
    assert await again.tick() == []
    assert [who for _, _, who in posts.posted] == ["late"]


async def test_a_fire_missed_by_more_than_the_grace_window_is_skipped(
    open_store: OpenStore, schedule: ScheduleRecord
) -> None:
    posts = Posts()
    scheduler = DigestScheduler(
        Schedules(await open_store()),
        posts.by("x"),
        clock=_at(DUE + timedelta(minutes=45)),
        grace=timedelta(minutes=30),
    )
    assert await scheduler.tick() == []
    assert posts.posted == []


async def test_a_schedule_made_after_todays_time_starts_tomorrow(open_store: OpenStore) -> None:
    store = await open_store()
    schedule = await _schedule(store)  # created now (real time): any due time before it is not owed
    posts = Posts()
    scheduler = DigestScheduler(
        Schedules(store), posts.by("x"), clock=_at(schedule.created_at + timedelta(minutes=1))
    )
    assert await scheduler.tick() == []


async def test_the_running_scheduler_sleeps_until_the_due_time_and_fires_then(
    open_store: OpenStore, schedule: ScheduleRecord
) -> None:
    clock = ManualClock(start=(DUE - timedelta(minutes=5)).timestamp())
    posts = Posts()
    scheduler = DigestScheduler(
        Schedules(await open_store()),
        posts.by("loop"),
        clock=lambda: datetime.fromtimestamp(clock.now, UTC),
        sleep=clock.sleep,
        poll=timedelta(minutes=10),
    )
    scheduler.start()
    try:
        await until(lambda: clock.sleeping == 1)
        assert posts.posted == []
        clock.advance(5 * 60 - 1)
        await until(lambda: clock.sleeping == 1)
        assert posts.posted == [], "one second early"
        clock.advance(1)
        await until(lambda: len(posts.posted) == 1)
        await until(lambda: clock.sleeping == 1)
        clock.advance(60)
        await until(lambda: clock.sleeping == 1)
        assert len(posts.posted) == 1
    finally:
        await scheduler.stop()
