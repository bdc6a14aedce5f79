"""👍/👎 under a finished answer: a click is stored with the run, the latest click per person wins."""

from __future__ import annotations

from typing import Any

from simulators.slack import SlackSimulator
from tests.e2e.conftest import RunningBot, Upstreams
from tests.e2e.slack_requests import ASKER, SlackRequests

CHANNEL = "C0GENERAL"
TEAM = "T0SIMTEAM"


def _feedback_message(slack: SlackSimulator, root: str) -> dict[str, Any] | None:
    for message in slack.thread(CHANNEL, root):
        if any(block.get("block_id", "").startswith("feedback:") for block in message["blocks"]):
            return message
    return None


def _button(message: dict[str, Any], action_id: str) -> dict[str, Any]:
    for block in message["blocks"]:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return {"action_id": action_id, "block_id": block["block_id"], "value": element["value"]}
    raise AssertionError(f"no {action_id} button")


async def test_feedback_clicks_are_stored_with_the_run(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    slack = upstreams.slack
    await bot.post(*slack_requests.command("why is OPS-2 blocked?", channel=CHANNEL))
    await slack.wait_for(lambda: any(c.ok for c in slack.calls("chat.stopStream")), timeout=20)
    root = str(slack.calls("chat.startStream")[-1].args["thread_ts"])
    await slack.wait_for(lambda: _feedback_message(slack, root) is not None, timeout=20)
    await bot.settle()
    message = _feedback_message(slack, root)
    assert message is not None
    store = bot.services.store
    conversation = await store.find_conversation(TEAM, CHANNEL, root)
    assert conversation is not None
    (run,) = await store.runs(conversation)

    up = _button(message, "answer_feedback_up")
    assert up["value"] == run.id
    assert (await bot.post(*slack_requests.block_action(up, message=message))).status_code == 200
    await slack.wait_for(lambda: len(slack.ephemeral_messages) >= 1, timeout=20)
    assert await store.feedback(run.id) == {ASKER: ("up", None)}

    down = _button(message, "answer_feedback_down")
    await bot.post(*slack_requests.block_action(down, message=message))
    await bot.post(*slack_requests.block_action(up, message=message, user="U0OTHER"))
    await slack.wait_for(lambda: len(slack.ephemeral_messages) >= 3, timeout=20)
    assert await store.feedback(run.id) == {ASKER: ("down", None), "U0OTHER": ("up", None)}
