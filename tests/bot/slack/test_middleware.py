"""A slash command or shortcut Slack delivers twice is acknowledged twice and handled once.

Through the real server (signed requests over HTTP, every upstream simulated: the fixtures come
from ``tests/e2e`` via this folder's conftest), and through a bare Bolt app with the middleware
on its listeners, for the shortcut and the edge cases.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.slack.middleware import listener_errors, once_per_trigger
from bot.store.store import Store
from tests.e2e.conftest import RunningBot, Upstreams
from tests.e2e.slack_requests import ASKER, TEAM, SlackRequests

CHANNEL = "C0GENERAL"


def _parents(upstreams: Upstreams) -> list[str]:
    """The texts of the visible (top-level) messages the bot posted."""
    return [
        str(call.args["text"])
        for call in upstreams.slack.calls("chat.postMessage")
        if call.ok and not call.args.get("thread_ts")
    ]


async def _cards(upstreams: Upstreams, count: int) -> None:
    def posted() -> int:
        return len([c for c in upstreams.slack.calls("chat.postMessage") if c.ok and c.args.get("thread_ts")])

    await upstreams.slack.wait_for(lambda: posted() >= count)


async def test_a_command_delivered_twice_at_once_is_acked_twice_and_answered_once(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    body, headers = slack_requests.command("OPS-2", channel=CHANNEL, command="/jira")
    first, again = await asyncio.gather(bot.post(body, headers), bot.post(body, headers))

    assert (first.status_code, first.text) == (200, "")
    assert (again.status_code, again.text) == (200, ""), "Slack still gets its ack"
    await _cards(upstreams, 1)
    await bot.settle()
    assert _parents(upstreams) == [f"<@{ASKER}> looked up: /jira OPS-2"]


async def test_a_retry_after_the_answer_does_nothing(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    body, headers = slack_requests.command("why is OPS-2 blocked?", channel=CHANNEL)
    assert (await bot.post(body, headers)).status_code == 200
    await upstreams.slack.wait_for(
        lambda: any(c.ok for c in upstreams.slack.calls("chat.stopStream")), timeout=20
    )
    await bot.settle()
    asked = len(upstreams.llm.chat_requests())

    retry = {**headers, **slack_requests.sign(body)}  # re-sent later, so signed afresh
    assert (await bot.post(body, retry)).status_code == 200
    # A later command of its own, answered in full: had the retry run, its parent would be there first.
    assert (
        await bot.post(*slack_requests.command("OPS-3", channel=CHANNEL, command="/jira"))
    ).status_code == 200
    await _cards(upstreams, 1)  # the answer was streamed: the card is the only reply posted
    await bot.settle()

    assert _parents(upstreams) == [
        f"<@{ASKER}> asked: why is OPS-2 blocked?",
        f"<@{ASKER}> looked up: /jira OPS-3",
    ]
    assert len(upstreams.llm.chat_requests()) == asked, "the model was not asked again"
    (stream,) = upstreams.slack.calls("chat.startStream")
    conversation = await bot.services.store.find_conversation(TEAM, CHANNEL, stream.args["thread_ts"])
    assert conversation is not None and len(await bot.services.store.runs(conversation)) == 1


# -- the middleware on a bare Bolt app -----------------------------------------------------------


@pytest.fixture
async def handled(store: Store) -> AsyncIterator[tuple[AsyncApp, list[str]]]:
    """A Bolt app whose /deploy command and "file" shortcut each run once per trigger id."""
    seen: list[str] = []

    async def authorize() -> AuthorizeResult:
        return AuthorizeResult(enterprise_id=None, team_id=TEAM, bot_token="xoxb-unused", bot_user_id="U0BOT")

    app = AsyncApp(authorize=authorize, request_verification_enabled=False, process_before_response=True)
    app.error(listener_errors)  # what stops a duplicate after its ack must not read as a failure

    async def deploy(ack: AsyncAck, command: dict[str, Any]) -> None:
        if command["text"] == "help":
            await ack(text="usage: /deploy SERVICE")  # the whole answer is in the ack
            return
        await ack()
        seen.append(f"command {command['text']}")

    async def file(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        seen.append(f"shortcut {body['callback_id']}")

    app.command("/deploy", middleware=[once_per_trigger(store, "command")])(deploy)
    app.shortcut("file", middleware=[once_per_trigger(store, "shortcut")])(file)
    yield app, seen


def _command(trigger_id: str | None, text: str = "web") -> AsyncBoltRequest:
    fields = {"team_id": TEAM, "channel_id": CHANNEL, "user_id": ASKER, "command": "/deploy", "text": text}
    if trigger_id is not None:
        fields["trigger_id"] = trigger_id
    return AsyncBoltRequest(
        body=urlencode(fields), headers={"content-type": ["application/x-www-form-urlencoded"]}
    )


def _shortcut(trigger_id: str) -> AsyncBoltRequest:
    payload = {
        "type": "shortcut",
        "callback_id": "file",
        "trigger_id": trigger_id,
        "action_ts": f"{time.time():.6f}",
        "team": {"id": TEAM},
        "user": {"id": ASKER, "team_id": TEAM},
    }
    return AsyncBoltRequest(
        body=urlencode({"payload": json.dumps(payload)}),
        headers={"content-type": ["application/x-www-form-urlencoded"]},
    )


async def test_only_the_first_delivery_of_a_trigger_reaches_the_listener(
    handled: tuple[AsyncApp, list[str]],
) -> None:
    app, seen = handled
    trigger = uuid.uuid4().hex
    first = await app.async_dispatch(_command(trigger))
    again = await app.async_dispatch(_command(trigger))
    other = await app.async_dispatch(_command(uuid.uuid4().hex, "api"))

    assert (first.status, first.body) == (200, "")
    assert (again.status, again.body) == (200, ""), "acknowledged, and nothing else"
    assert other.status == 200
    assert seen == ["command web", "command api"]


async def test_an_ack_that_answers_claims_nothing(handled: tuple[AsyncApp, list[str]], store: Store) -> None:
    app, seen = handled
    trigger = uuid.uuid4().hex
    for _ in range(2):  # each delivery gets its answer; there is no work after it to do twice
        answered = await app.async_dispatch(_command(trigger, "help"))
        assert (answered.status, answered.body) == (200, "usage: /deploy SERVICE")
    assert seen == []
    assert await store.claim(f"command:{trigger}"), "the trigger was never claimed"


async def test_a_shortcut_is_claimed_apart_from_a_command_with_the_same_trigger(
    handled: tuple[AsyncApp, list[str]],
) -> None:
    app, seen = handled
    trigger = uuid.uuid4().hex
    for request in (_shortcut(trigger), _shortcut(trigger), _command(trigger)):
        assert (await app.async_dispatch(request)).status == 200
    assert seen == ["shortcut file", "command web"]


async def test_a_command_without_a_trigger_id_is_not_taken_for_a_duplicate(
    handled: tuple[AsyncApp, list[str]],
) -> None:
    app, seen = handled
    for _ in range(2):
        assert (await app.async_dispatch(_command(None))).status == 200
    assert seen == ["command web", "command web"], "nothing tells two of them apart, so both run"
