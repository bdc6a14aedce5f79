"""The thread the delivery tests answer in on the SIMULATED Slack, and how they read it back."""

from __future__ import annotations

from typing import Any

from bot.slack.blocks.feedback import ANSWER_DETAILS
from simulators.slack import SlackSimulator

TOKEN = "xoxb-delivery"
TEAM = "T0SIMULATED"  # the simulator's workspace
CHANNEL = "C0CHANNEL"
USER = "U0ASKER"


def bot_messages(sim: SlackSimulator, root: str, channel: str = CHANNEL) -> list[dict[str, Any]]:
    return [message for message in sim.thread(channel, root) if message["bot_id"]]


def buttons(message: dict[str, Any], action_id: str) -> list[dict[str, Any]]:
    """The buttons with ``action_id`` in a message (or in a call's arguments)."""
    return [
        element
        for block in message.get("blocks") or []
        if block["type"] == "actions"
        for element in block["elements"]
        if element.get("action_id") == action_id
    ]


def feedback_values(message: dict[str, Any]) -> list[str]:
    """The values under a finished answer (or in a call's arguments): Slack's own 👍 and 👎 of
    each ``feedback_buttons`` element, then each Details button's."""
    thumbs = [
        button[side]["value"]
        for block in message.get("blocks") or []
        if block["type"] == "context_actions"
        for button in block["elements"]
        if button["type"] == "feedback_buttons"
        for side in ("positive_button", "negative_button")
    ]
    return thumbs + [button["value"] for button in buttons(message, ANSWER_DETAILS)]
