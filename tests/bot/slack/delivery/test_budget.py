"""SlackBudget: token buckets per workspace and method, pauses after a 429, on a manual clock; in
this process, and shared by two processes through one database (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.slack.delivery.budget import BudgetExhausted, SlackBudget
from bot.slack.delivery.ledger import SharedLedger
from bot.slack.delivery.tiers import METHOD_LIMITS, TIER_2, TIER_3, TIER_4, Limit, limit_for
from bot.store import Store
from tests.manual_clock import ManualClock, until

TEAM, OTHER_TEAM = "T0ONE", "T0TWO"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def budget_on(clock: ManualClock, limits: dict[str, Limit] | None = None) -> SlackBudget:
    return SlackBudget(limits=limits, clock=clock, sleep=clock.sleep)


def test_the_tier_table_states_slacks_tiers() -> None:
    assert limit_for("chat.startStream") is TIER_2 and limit_for("chat.stopStream") is TIER_2
    assert limit_for("chat.appendStream") is TIER_4
    assert limit_for("chat.update") is TIER_3
    post = limit_for("chat.postMessage")
    assert post.per_channel and 1.0 <= post.interval <= 1.1  # about one a second, a little under
    assert (TIER_2.per_minute, TIER_3.per_minute, TIER_4.per_minute) == (20, 50, 100)
    assert all(limit.burst <= limit.per_minute for limit in METHOD_LIMITS.values())


def test_a_burst_then_the_steady_rate(clock: ManualClock) -> None:
    budget = budget_on(clock, {"chat.update": Limit(per_minute=60, burst=3)})
    assert [budget.try_acquire(TEAM, "chat.update") for _ in range(4)] == [True, True, True, False]
    assert budget.delay(TEAM, "chat.update") == pytest.approx(1.0)
    clock.advance(1.0)
    assert budget.try_acquire(TEAM, "chat.update")
    assert not budget.try_acquire(TEAM, "chat.update")


def test_workspaces_methods_and_per_channel_limits_are_separate(clock: ManualClock) -> None:
    budget = budget_on(
        clock, {"chat.update": Limit(60, 1), "chat.postMessage": Limit(60, 1, per_channel=True)}
    )
    assert budget.try_acquire(TEAM, "chat.update")
    assert not budget.try_acquire(TEAM, "chat.update")
    assert budget.try_acquire(OTHER_TEAM, "chat.update")
    assert budget.try_acquire(TEAM, "chat.postMessage", "C1")
    assert budget.try_acquire(TEAM, "chat.postMessage", "C2")
    assert not budget.try_acquire(TEAM, "chat.postMessage", "C1")


async def test_waiters_are_served_in_turn_at_the_steady_rate(clock: ManualClock) -> None:
    budget = budget_on(clock, {"chat.update": Limit(per_minute=60, burst=1)})
    served: list[int] = []

    async def caller(number: int) -> None:
        await budget.acquire(TEAM, "chat.update")
        served.append(number)

    tasks = [asyncio.create_task(caller(number)) for number in range(4)]
    await until(lambda: served == [0] and clock.sleeping == 3)
    for expected in ([0, 1], [0, 1, 2], [0, 1, 2, 3]):
        clock.advance(1.0)
        await until(lambda expected=expected: served == expected)  # type: ignore[misc]
    await asyncio.gather(*tasks)


async def test_a_pause_holds_one_method_of_one_workspace_and_resumes_without_a_burst(
    clock: ManualClock,
) -> None:
    budget = budget_on(clock, {"chat.update": Limit(per_minute=60, burst=5)})
    budget.pause(TEAM, "chat.update", 30)

    assert budget.paused_for(TEAM, "chat.update") == 30
    assert budget.delay(TEAM, "chat.appendStream") == 0
    assert budget.delay(OTHER_TEAM, "chat.update") == 0
    waiter = asyncio.create_task(budget.acquire(TEAM, "chat.update"))
    await until(lambda: clock.sleeping == 1)
    clock.advance(29)
    await asyncio.sleep(0)
    assert not waiter.done()
    clock.advance(1)
    await until(waiter.done)
    assert not budget.try_acquire(TEAM, "chat.update")  # the burst allowance was spent by the pause


async def test_a_pause_of_a_per_channel_limit_holds_that_channel_only(clock: ManualClock) -> None:
    budget = budget_on(clock, {"chat.postMessage": Limit(per_minute=60, burst=1, per_channel=True)})
    budget.pause(TEAM, "chat.postMessage", 30, channel="C1")  # Slack's 429 for a post in C1

    assert budget.paused_for(TEAM, "chat.postMessage", "C1") == 30
    assert budget.paused_for(TEAM, "chat.postMessage", "C2") == 0
    assert budget.try_acquire(TEAM, "chat.postMessage", "C2"), "other channels post on"
    assert not budget.try_acquire(TEAM, "chat.postMessage", "C1")


async def test_a_slot_that_may_not_wait_is_refused_and_counted(clock: ManualClock) -> None:
    budget = budget_on(clock, {"chat.startStream": Limit(per_minute=20, burst=1)})
    async with budget.slot(TEAM, "chat.startStream", wait=False) as held:
        assert budget.current() == held
    assert budget.current() is None
    with pytest.raises(BudgetExhausted) as refused:
        async with budget.slot(TEAM, "chat.startStream", wait=False):
            pass
    assert refused.value.wait == pytest.approx(3.0)
    assert budget.counters.get("budget_refused:chat.startStream") == 1


# -- one budget shared by the processes of a workspace, through the database -------------------


@pytest.fixture
async def two_processes(
    database_url: str, clock: ManualClock
) -> AsyncIterator[tuple[SlackBudget, SlackBudget]]:
    """Two budgets on two stores opened on one database: what two `chatops serve` processes hold."""
    stores = [await Store.open(database_url), await Store.open(database_url)]
    limits = {
        "chat.update": Limit(per_minute=60, burst=3),
        "chat.postMessage": Limit(per_minute=60, burst=1, per_channel=True),
    }
    try:
        yield (
            SlackBudget(limits=limits, ledger=SharedLedger(stores[0]), clock=clock, sleep=clock.sleep),
            SlackBudget(limits=limits, ledger=SharedLedger(stores[1]), clock=clock, sleep=clock.sleep),
        )
    finally:
        for store in stores:
            await store.close()


async def test_two_processes_share_one_burst_then_the_steady_rate(
    two_processes: tuple[SlackBudget, SlackBudget], clock: ManualClock
) -> None:
    first, second = two_processes
    assert [await first.atry_acquire(TEAM, "chat.update") for _ in range(3)] == [True, True, True]
    assert not await second.atry_acquire(TEAM, "chat.update")
    assert second.delay(TEAM, "chat.update") == pytest.approx(1.0)  # what the refusal showed it

    waiter = asyncio.create_task(second.acquire(TEAM, "chat.update"))
    await until(lambda: clock.sleeping == 1)
    clock.advance(0.9)
    await asyncio.sleep(0.01)
    assert not waiter.done()
    clock.advance(0.1)
    await until(waiter.done)
    assert await second.atry_acquire(OTHER_TEAM, "chat.update")  # each workspace its own bucket


async def test_ready_waits_for_the_tokens_another_process_took(
    two_processes: tuple[SlackBudget, SlackBudget], clock: ManualClock
) -> None:
    first, second = two_processes
    await second.ready(TEAM, "chat.update")  # nothing taken yet: ready at once
    for _ in range(3):
        await first.acquire(TEAM, "chat.update")
    waiter = asyncio.create_task(second.ready(TEAM, "chat.update"))
    await until(lambda: clock.sleeping == 1)
    clock.advance(1.0)
    await until(waiter.done)


async def test_a_429_seen_by_one_process_pauses_the_method_in_the_other(
    two_processes: tuple[SlackBudget, SlackBudget], clock: ManualClock
) -> None:
    first, second = two_processes
    await first.apause(TEAM, "chat.update", 30)
    assert first.paused_for(TEAM, "chat.update") == 30

    waiter = asyncio.create_task(second.acquire(TEAM, "chat.update"))
    await until(lambda: clock.sleeping == 1)
    clock.advance(29)
    await asyncio.sleep(0.01)
    assert not waiter.done()
    clock.advance(1)
    await until(waiter.done)
    assert not await first.atry_acquire(TEAM, "chat.update")  # resumed at the steady rate, no burst


async def test_a_shared_budget_refuses_the_sync_forms_with_a_clear_error(
    two_processes: tuple[SlackBudget, SlackBudget],
) -> None:
    first, _ = two_processes
    with pytest.raises(RuntimeError, match="atry_acquire"):
        first.try_acquire(TEAM, "chat.update")
    with pytest.raises(RuntimeError, match="apause"):
        first.pause(TEAM, "chat.update", 1)


async def test_a_429_in_one_channel_pauses_that_channel_in_every_process(
    two_processes: tuple[SlackBudget, SlackBudget],
) -> None:
    first, second = two_processes
    await first.apause(TEAM, "chat.postMessage", 30, channel="C1")

    assert not await second.atry_acquire(TEAM, "chat.postMessage", "C1")
    assert await second.atry_acquire(TEAM, "chat.postMessage", "C2"), "other channels post on"
    assert second.paused_for(TEAM, "chat.postMessage", "C1") == 30
