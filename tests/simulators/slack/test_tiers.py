"""The SIMULATED Slack's rate tiers: buckets per method per workspace, 429 + Retry-After beyond them."""

from __future__ import annotations

import aiohttp

from simulators.slack import DOCUMENTED, SlackSimulator, TierEnforcer, TierRule
from tests.manual_clock import ManualClock

TOKEN = "xoxb-tiers"


def test_documented_tiers() -> None:
    assert DOCUMENTED["chat.startStream"].per_minute == DOCUMENTED["chat.stopStream"].per_minute == 20
    assert DOCUMENTED["chat.appendStream"].per_minute == 100
    assert DOCUMENTED["chat.update"].per_minute == 50
    assert DOCUMENTED["chat.postMessage"].per_channel


def test_a_bucket_refuses_beyond_its_burst_with_a_whole_second_retry_after() -> None:
    clock = ManualClock()
    tiers = TierEnforcer({"chat.update": TierRule(60)}, burst_minutes=2 / 60, clock=clock)
    assert [tiers.admit("T1", "chat.update", "C1") for _ in range(3)] == [0, 0, 1]
    assert tiers.admit("T2", "chat.update", "C1") == 0  # another workspace has its own bucket
    clock.advance(0.5)
    assert tiers.admit("T1", "chat.update", "C1") == 1  # half a token: still 0.5 s to wait, said as 1
    clock.advance(0.5)
    assert tiers.admit("T1", "chat.update", "C1") == 0
    assert tiers.refused["chat.update"] == 2
    assert tiers.admit("T1", "auth.test", None) == 0  # methods without a rule are not limited


def test_per_channel_methods_count_each_channel() -> None:
    tiers = TierEnforcer({"chat.postMessage": TierRule(60, per_channel=True)}, burst_minutes=1 / 60)
    assert tiers.admit("T1", "chat.postMessage", "C1") == 0
    assert tiers.admit("T1", "chat.postMessage", "C2") == 0
    assert tiers.admit("T1", "chat.postMessage", "C1") == 1


async def test_the_simulator_answers_429_with_retry_after_beyond_the_tier() -> None:
    tiers = TierEnforcer({"chat.postMessage": TierRule(6, per_channel=True)}, burst_minutes=1 / 6)
    async with SlackSimulator(token=TOKEN, tiers=tiers) as slack, aiohttp.ClientSession() as session:
        statuses = []
        for _ in range(2):
            async with session.post(
                f"{slack.api_url}chat.postMessage",
                json={"channel": "C1", "text": "hi"},
                headers={"Authorization": f"Bearer {TOKEN}"},
            ) as response:
                statuses.append(
                    (response.status, response.headers.get("Retry-After"), (await response.json())["ok"])
                )
    assert statuses == [(200, None, True), (429, "10", False)]
    assert [call.status for call in slack.calls("chat.postMessage")] == [200, 429]
