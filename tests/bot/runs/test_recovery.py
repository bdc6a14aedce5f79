"""Boot-time recovery: unfinished runs end interrupted, and each thread is told once through the
chat's door (here the Slack delivery door, talking to the simulated Slack)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from bot.runs.recovery import NOTICE, Notices, recover_interrupted
from bot.slack.delivery.budget import SlackBudget
from bot.slack.delivery.client import build_web_client
from bot.slack.delivery.door import SlackDelivery
from bot.store.store import Store
from simulators.slack import SlackSimulator
from tests.slack_budgets import UNLIMITED

TOKEN = "xoxb-recovery-test"
TEAM = "T0SIMULATED"
CHANNEL = "C0GENERAL"


@pytest.fixture
async def slack() -> AsyncIterator[SlackSimulator]:
    async with SlackSimulator(token=TOKEN) as simulator:
        yield simulator


def door(slack: SlackSimulator) -> Notices:
    client = build_web_client(TOKEN, slack.api_url, budget=SlackBudget(limits=UNLIMITED))
    return SlackDelivery(client, team=TEAM)


async def unfinished(store: Store, channel: str, thread_ts: str, *, running: bool = True) -> str:
    conversation = await store.open_conversation(TEAM, channel, thread_ts)
    run_id = await store.create_run(conversation, trigger="mention", user_id="U0ASKER")
    if running:
        await store.mark_running(run_id)
    return run_id


async def status_of(store: Store, run_id: str) -> str:
    run = await store.get_run(run_id)
    assert run is not None
    return run.status


def notices_in(slack: SlackSimulator) -> list[tuple[str, str]]:
    calls = [call for call in slack.calls("chat.postMessage") if call.ok and call.args["text"] == NOTICE]
    return [(call.args["channel"], call.args["thread_ts"]) for call in calls]


async def test_slack_runs_end_interrupted_and_each_thread_is_told_once(
    store: Store, slack: SlackSimulator
) -> None:
    running = await unfinished(store, CHANNEL, "1700000000.000100")
    queued = await unfinished(store, CHANNEL, "1700000000.000200", running=False)
    console = await unfinished(store, "console", "1700000000.000300")

    assert await recover_interrupted(store, door(slack)) == 2
    assert await recover_interrupted(store, door(slack)) == 0, "nothing is left on a second start"

    assert [await status_of(store, run) for run in (running, queued)] == ["interrupted", "interrupted"]
    assert await status_of(store, console) == "running", "the console recovers its own runs"
    assert sorted(notices_in(slack)) == [(CHANNEL, "1700000000.000100"), (CHANNEL, "1700000000.000200")]
    (notice, _) = slack.calls("chat.postMessage")
    assert notice.args["unfurl_links"] is False, "through the door: no unfurling"


async def test_without_notices_only_console_runs_are_recovered(store: Store, slack: SlackSimulator) -> None:
    slack_run = await unfinished(store, CHANNEL, "1700000000.000100")
    console = await unfinished(store, "console", "1700000000.000300")

    assert await recover_interrupted(store, None) == 1
    assert await status_of(store, console) == "interrupted"
    assert await status_of(store, slack_run) == "running"
    assert slack.calls("chat.postMessage") == []


async def test_a_thread_slack_refuses_is_logged_and_the_rest_recovered(
    store: Store, slack: SlackSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    gone = await unfinished(store, "C0ARCHIVED", "1700000000.000100")
    other = await unfinished(store, CHANNEL, "1700000000.000200")
    slack.refuse("chat.postMessage", "is_archived")

    with caplog.at_level(logging.INFO):
        assert await recover_interrupted(store, door(slack)) == 2

    assert [await status_of(store, run) for run in (gone, other)] == ["interrupted", "interrupted"]
    assert len(notices_in(slack)) == 1, "one refusal does not stop the others"
    assert "is_archived" in caplog.text
