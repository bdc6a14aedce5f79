"""The scheduled-digest repository on SQLite and PostgreSQL: schedules per channel (capped, removable
only from their own channel), and each due time claimed by exactly one caller, across processes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.store.schedule import parse_spec
from bot.store.schedules import MAX_PER_CHANNEL, ScheduleRecord, Schedules, TooManySchedules
from bot.store.store import Store

DUE = datetime(2026, 11, 30, 8, 30, tzinfo=UTC)


async def _add(
    schedules: Schedules, channel_id: str = "C1", text: str = "weekdays 09:30 Europe/Berlin OPS"
) -> ScheduleRecord:
    spec, scope = parse_spec(text)
    return await schedules.add(team_id="T1", channel_id=channel_id, created_by="U1", spec=spec, scope=scope)


async def test_a_schedule_round_trips_with_its_spec_and_a_storable_scope(store: Store) -> None:
    schedules = Schedules(store)
    spec, _ = parse_spec("mon,wed 17:05 America/New_York")
    added = await schedules.add(
        team_id="T1", channel_id="C1", created_by="U1", spec=spec, scope="OPS\x00 " + "x" * 600
    )

    assert (added.team_id, added.channel_id, added.created_by, added.spec) == ("T1", "C1", "U1", spec)
    assert added.scope == ("OPS " + "x" * 600)[:500]
    assert await schedules.get(added.id) == added
    assert await schedules.in_channel("T1", "C1") == [added]
    assert await schedules.active() == [added]
    assert await schedules.in_channel("T1", "C2") == []
    assert await schedules.in_channel("T2", "C1") == []


async def test_a_channel_holds_at_most_the_cap_and_removed_ones_do_not_count(store: Store) -> None:
    schedules = Schedules(store)
    added = [await _add(schedules) for _ in range(MAX_PER_CHANNEL)]
    with pytest.raises(TooManySchedules):
        await _add(schedules)
    await _add(schedules, channel_id="C2")  # the cap is per channel

    assert await schedules.remove("T1", "C1", added[0].id)
    await _add(schedules)
    assert len(await schedules.in_channel("T1", "C1")) == MAX_PER_CHANNEL


async def test_a_schedule_is_removed_only_from_its_own_channel_and_once(store: Store) -> None:
    schedules = Schedules(store)
    kept, removed = await _add(schedules), await _add(schedules)

    assert await schedules.remove("T1", "C2", removed.id) is False
    assert await schedules.remove("T2", "C1", removed.id) is False
    assert await schedules.remove("T1", "C1", removed.id) is True
    assert await schedules.remove("T1", "C1", removed.id) is False

    assert await schedules.get(removed.id) is None
    assert await schedules.get(10_000) is None
    assert await schedules.active() == [kept]


async def test_of_many_claims_of_one_due_time_across_two_processes_one_wins(
    store: Store, database_url: str
) -> None:
    schedule = await _add(Schedules(store))
    other_process = await Store.open(database_url)
    try:
        mine, theirs = Schedules(store), Schedules(other_process)
        wins = await asyncio.gather(
            *(each.claim_fire(schedule.id, DUE, f"p{i}") for i in range(5) for each in (mine, theirs))
        )
    finally:
        await other_process.close()

    assert wins.count(True) == 1
    assert await Schedules(store).claim_fire(schedule.id, DUE + timedelta(days=1), "p0") is True


async def test_fires_keep_who_claimed_them_and_how_they_ended_in_due_order(store: Store) -> None:
    schedules = Schedules(store)
    schedule = await _add(schedules)
    later = DUE + timedelta(days=1)
    assert await schedules.claim_fire(schedule.id, later, "b")
    assert await schedules.claim_fire(schedule.id, DUE, "a")

    await schedules.finish_fire(schedule.id, DUE, "posted\x00 " + "y" * 3000)

    fires = await schedules.fires(schedule.id)
    assert [(f.due_at, f.claimed_by) for f in fires] == [(DUE, "a"), (later, "b")]
    assert fires[0].outcome == ("posted " + "y" * 3000)[:2000]
    assert fires[1].outcome is None
