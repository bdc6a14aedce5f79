"""The thread the delivery tests answer in on the SIMULATED Slack, and how they read it back."""

from __future__ import annotations

from typing import Any

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
