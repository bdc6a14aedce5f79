"""The Stop button an answer carries while its run is written as a posted-and-edited message.

A native stream has Slack's own Stop control; the other rungs of the ladder carry this button,
whose value is the run id (``bot.slack.listeners.stop`` answers the click).
"""

from __future__ import annotations

from typing import Any

ANSWER_STOP = "answer_stop"
STOP_LABEL = "Stop"


def stop_blocks(run_id: str) -> list[dict[str, Any]]:
    """The Block Kit controls an answer carries while its run is in progress."""
    button = {
        "type": "button",
        "action_id": ANSWER_STOP,
        "text": {"type": "plain_text", "text": STOP_LABEL, "emoji": True},
        "value": run_id,
        "style": "danger",
    }
    return [{"type": "actions", "block_id": f"{ANSWER_STOP}:{run_id}", "elements": [button]}]
