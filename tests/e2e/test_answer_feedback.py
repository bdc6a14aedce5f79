"""The controls a finished answer ends with, in its own message: Slack's 👍/👎 stored with the
run (👎 with an optional reason from a dialog), and Details showing the asker which tools the run
called and how long each took. The separate 👍/👎 buttons of answers posted before still count."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import pytest

from bot.slack.blocks.feedback import (
    ANSWER_DETAILS,
    ANSWER_FEEDBACK,
    FEEDBACK_DOWN,
    FEEDBACK_UP,
    REASON_BLOCK,
    REASON_LIMIT,
    REASON_VIEW,
)
from bot.slack.listeners.details import NO_DETAILS
from bot.slack.listeners.feedback import NOT_STORED
from simulators.slack import SlackSimulator
from tests.e2e.conftest import RunningBot, Upstreams
from tests.e2e.slack_requests import ASKER, SlackRequests
from tests.e2e.slack_views import view_submission

CHANNEL = "C0GENERAL"
TEAM = "T0SIMTEAM"
OTHER = "U0OTHER"


@dataclass(frozen=True)
class Answered:
    run_id: str
    root: str
    message: dict[str, Any]  # the answer, its controls at its end


def _feedback_message(slack: SlackSimulator, root: str) -> dict[str, Any] | None:
    for message in slack.thread(CHANNEL, root):
        if any(block.get("block_id", "").startswith("feedback:") for block in message["blocks"]):
            return message
    return None


def _button(message: dict[str, Any], action_id: str) -> dict[str, Any]:
    """The click on the button ``action_id`` of ``message``, as Slack reports it."""
    for block in message["blocks"]:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return {"action_id": action_id, "block_id": block["block_id"], "value": element["value"]}
    raise AssertionError(f"no {action_id} button")


def _thumb(message: dict[str, Any], side: str) -> dict[str, Any]:
    """The click on the 👍 (``side`` "positive") or 👎 ("negative") of Slack's feedback buttons."""
    for block in message["blocks"]:
        for element in block.get("elements", []):
            if element.get("type") == "feedback_buttons":
                return {
                    "type": "feedback_buttons",
                    "action_id": element["action_id"],
                    "block_id": block["block_id"],
                    "value": element[f"{side}_button"]["value"],
                }
    raise AssertionError("no feedback buttons")


def _older_button(answered: Answered, action_id: str) -> dict[str, Any]:
    """A click on the separate 👍 or 👎 of an answer posted before the controls moved into it:
    its value was the run id alone."""
    return {"action_id": action_id, "block_id": f"feedback:{answered.run_id}", "value": answered.run_id}


def _trigger_of(body: str) -> str:
    return str(json.loads(parse_qs(body)["payload"][0])["trigger_id"])


@pytest.fixture
async def answered(bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests) -> Answered:
    slack = upstreams.slack
    await bot.post(*slack_requests.command("why is OPS-2 blocked?", channel=CHANNEL))
    await slack.wait_for(lambda: any(c.ok for c in slack.calls("chat.stopStream")), timeout=20)
    root = str(slack.calls("chat.startStream")[-1].args["thread_ts"])
    await slack.wait_for(lambda: _feedback_message(slack, root) is not None, timeout=20)
    await bot.settle()
    (answer,) = slack.thread(CHANNEL, root)[1:]  # one message per answer: the controls are in it
    assert _feedback_message(slack, root) == answer
    conversation = await bot.services.store.find_conversation(TEAM, CHANNEL, root)
    assert conversation is not None
    (run,) = await bot.services.store.runs(conversation)
    return Answered(run.id, root, answer)


async def _click(
    bot: RunningBot, requests: SlackRequests, answered: Answered, action: str, *, user: str = ASKER
) -> str:
    """Click as ``user``: ``action`` "up" or "down" is Slack's 👍 or 👎 under the answer, anything
    else the button with that action id. The click's trigger_id."""
    sides = {"up": "positive", "down": "negative"}
    clicked = (
        _thumb(answered.message, sides[action]) if action in sides else _button(answered.message, action)
    )
    return await _send(bot, requests, answered, clicked, user=user)


async def _send(
    bot: RunningBot, requests: SlackRequests, answered: Answered, action: dict[str, Any], *, user: str = ASKER
) -> str:
    body, headers = requests.block_action(action, message=answered.message, user=user)
    assert (await bot.post(body, headers)).status_code == 200
    return _trigger_of(body)


async def _opened_after(slack: SlackSimulator, count: int) -> dict[str, Any]:
    await slack.wait_for(lambda: len(slack.opened_views) > count, timeout=20)
    return slack.opened_views[-1]


async def test_thumbs_are_stored_with_the_run_and_the_latest_click_wins(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests, answered: Answered
) -> None:
    slack, store = upstreams.slack, bot.services.store
    up = _thumb(answered.message, "positive")
    assert (up["action_id"], up["value"]) == (ANSWER_FEEDBACK, f"up:{answered.run_id}")

    await _click(bot, slack_requests, answered, "up")
    await slack.wait_for(lambda: len(slack.ephemeral_messages) == 1, timeout=20)
    assert await store.feedback(answered.run_id) == {ASKER: ("up", None)}
    assert slack.opened_views == [], "👍 is one click"

    await _click(bot, slack_requests, answered, "down")
    await _opened_after(slack, 0)
    await _click(bot, slack_requests, answered, "up", user=OTHER)
    await slack.wait_for(lambda: len(slack.ephemeral_messages) == 2, timeout=20)
    assert await store.feedback(answered.run_id) == {ASKER: ("down", None), OTHER: ("up", None)}


async def test_thumbs_down_is_stored_at_once_and_opens_the_reason_dialog(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests, answered: Answered
) -> None:
    slack, store = upstreams.slack, bot.services.store
    trigger = await _click(bot, slack_requests, answered, "down")
    view = await _opened_after(slack, 0)

    assert slack.calls("views.open")[-1].args["trigger_id"] == trigger
    assert (view["callback_id"], view["private_metadata"]) == (REASON_VIEW, answered.run_id)
    # Closing the dialog sends nothing (no notify_on_close): what the click stored is what stays.
    assert await store.feedback(answered.run_id) == {ASKER: ("down", None)}
    assert slack.ephemeral_messages == [], "the dialog is the acknowledgement"


async def test_a_submitted_reason_is_stored_with_the_run_and_never_posted(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests, answered: Answered
) -> None:
    slack, store = upstreams.slack, bot.services.store
    await _click(bot, slack_requests, answered, "down")
    view = await _opened_after(slack, 0)
    reason = "It read OPS-1 <!channel> *instead* & missed the\nlinked PR"

    response = await bot.post(*view_submission(slack_requests, view, {REASON_BLOCK: f" {reason} "}))

    assert response.status_code == 200 and not response.content, "an empty ack closes the dialog"
    assert await store.feedback(answered.run_id) == {ASKER: ("down", reason)}
    posted = [c.args for c in slack.calls() if c.method.startswith("chat.")]
    assert "missed the" not in json.dumps(posted), "the reason is stored, never echoed into Slack"


async def test_an_empty_submission_keeps_thumbs_down_without_a_reason(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests, answered: Answered
) -> None:
    slack, store = upstreams.slack, bot.services.store
    await _click(bot, slack_requests, answered, "up")
    await _click(bot, slack_requests, answered, "down")
    view = await _opened_after(slack, 0)

    response = await bot.post(*view_submission(slack_requests, view, {REASON_BLOCK: "  "}))

    assert response.status_code == 200 and not response.content
    assert await store.feedback(answered.run_id) == {ASKER: ("down", None)}


async def test_a_reason_over_the_limit_is_refused_in_the_dialog(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests, answered: Answered
) -> None:
    await _click(bot, slack_requests, answered, "down")
    view = await _opened_after(upstreams.slack, 0)

    response = await bot.post(
        *view_submission(slack_requests, view, {REASON_BLOCK: "x" * (REASON_LIMIT + 1)})
    )

    assert response.status_code == 200
    assert response.json()["response_action"] == "errors" and REASON_BLOCK in response.json()["errors"]
    assert await bot.services.store.feedback(answered.run_id) == {ASKER: ("down", None)}


async def test_when_the_dialog_cannot_open_the_thumbs_down_is_still_stored_and_thanked(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests, answered: Answered
) -> None:
    slack = upstreams.slack
    slack.refuse("views.open", "expired_trigger_id")
    await _click(bot, slack_requests, answered, "down")
    await slack.wait_for(lambda: len(slack.ephemeral_messages) == 1, timeout=20)
    assert "👎" in slack.ephemeral_messages[0]["text"]
    assert await bot.services.store.feedback(answered.run_id) == {ASKER: ("down", None)}


async def test_details_show_the_asker_the_tools_of_that_run_in_the_thread(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests, answered: Answered
) -> None:
    slack = upstreams.slack
    posted = len(slack.calls("chat.postMessage"))
    await _click(bot, slack_requests, answered, ANSWER_DETAILS)
    await slack.wait_for(lambda: len(slack.ephemeral_messages) == 1, timeout=20)

    (shown,) = slack.ephemeral_messages
    assert (shown["channel"], shown["user"]) == (CHANNEL, ASKER)
    assert slack.calls("chat.postEphemeral")[-1].args["thread_ts"] == answered.root
    assert shown["text"].startswith("*This answer* (succeeded")
    assert re.search(r"`jira_get_issue` \d+ ms — ", shown["text"])
    assert len(slack.calls("chat.postMessage")) == posted, "details are not posted to the channel"
    assert await bot.services.store.feedback(answered.run_id) == {}


async def test_details_are_for_the_asker_only(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests, answered: Answered
) -> None:
    slack = upstreams.slack
    await _click(bot, slack_requests, answered, ANSWER_DETAILS, user=OTHER)
    await slack.wait_for(lambda: len(slack.ephemeral_messages) == 1, timeout=20)
    (shown,) = slack.ephemeral_messages
    assert shown["user"] == OTHER and f"<@{ASKER}>" in shown["text"]
    assert "jira_get_issue" not in shown["text"]


@pytest.mark.parametrize(
    ("action", "value", "sentence"),
    [
        (ANSWER_DETAILS, "0123456789abcdef", NO_DETAILS),
        ("up", "up:0123456789abcdef", NOT_STORED),
        ("up", "sideways:" + "0123456789abcdef", NOT_STORED),  # not a value of ours
        (FEEDBACK_UP, "0123456789abcdef", NOT_STORED),  # an older answer's button
    ],
)
async def test_a_click_for_an_unknown_run_is_answered_with_a_sentence(
    bot: RunningBot,
    upstreams: Upstreams,
    slack_requests: SlackRequests,
    answered: Answered,
    action: str,
    value: str,
    sentence: str,
) -> None:
    slack = upstreams.slack
    if action == "up":
        clicked = _thumb(answered.message, "positive")
    elif action == FEEDBACK_UP:
        clicked = _older_button(answered, FEEDBACK_UP)
    else:
        clicked = _button(answered.message, action)
    response = await bot.post(
        *slack_requests.block_action(clicked | {"value": value}, message=answered.message)
    )
    assert response.status_code == 200
    await slack.wait_for(lambda: len(slack.ephemeral_messages) == 1, timeout=20)
    assert slack.ephemeral_messages[0]["text"] == sentence
    assert await bot.services.store.feedback(answered.run_id) == {}


async def test_a_reason_for_a_run_no_longer_stored_is_refused_in_the_dialog(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests, answered: Answered
) -> None:
    await _click(bot, slack_requests, answered, "down")
    view = await _opened_after(upstreams.slack, 0)
    assert await bot.services.store.forget_thread(TEAM, CHANNEL, answered.root)

    response = await bot.post(*view_submission(slack_requests, view, {REASON_BLOCK: "wrong ticket"}))

    assert response.status_code == 200
    assert response.json()["errors"] == {REASON_BLOCK: NOT_STORED}


async def test_the_separate_thumbs_of_an_older_answer_still_count(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests, answered: Answered
) -> None:
    slack, store = upstreams.slack, bot.services.store
    await _send(bot, slack_requests, answered, _older_button(answered, FEEDBACK_UP), user=OTHER)
    await slack.wait_for(lambda: len(slack.ephemeral_messages) == 1, timeout=20)
    assert await store.feedback(answered.run_id) == {OTHER: ("up", None)}

    await _send(bot, slack_requests, answered, _older_button(answered, FEEDBACK_DOWN))
    view = await _opened_after(slack, 0)
    assert view["private_metadata"] == answered.run_id
    assert await store.feedback(answered.run_id) == {OTHER: ("up", None), ASKER: ("down", None)}
