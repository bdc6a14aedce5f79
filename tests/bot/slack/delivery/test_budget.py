"""SlackBudget: token buckets per workspace and method, pauses after a 429, on a manual clock."""

from __future__ import annotations

import asyncio

import pytest

from bot.slack.delivery.budget import BudgetExhausted, SlackBudget
from bot.slack.delivery.tiers import METHOD_LIMITS, TIER_2, TIER_3, TIER_4, Limit, limit_for
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
    assert post.per_channel and post.interval == 1.0
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
