"""The Messages tab's pieces: its prompts, and the channel an app_context_changed event names."""

from __future__ import annotations

from typing import Any

import pytest

from bot.slack.listeners.home import PROMPTS, viewed_channel


def test_there_are_at_most_four_prompts_each_with_a_title_and_a_message() -> None:
    assert 1 <= len(PROMPTS) <= 4
    assert all(prompt.title and prompt.message for prompt in PROMPTS)


def _changed(*entities: Any) -> dict[str, Any]:
    return {"type": "app_context_changed", "user": "U0ASKER", "context": {"entities": list(entities)}}


CHANNEL = {"type": "slack#/types/channel_id", "value": "C0INCIDENT", "team_id": "T0TEAM"}
CANVAS = {"type": "slack#/types/canvas_id", "value": "F0CANVAS", "team_id": "T0TEAM"}


@pytest.mark.parametrize(
    ("event", "channel"),
    [
        (_changed(CHANNEL), "C0INCIDENT"),
        (_changed(CANVAS, CHANNEL, {**CHANNEL, "value": "C0SECOND"}), "C0INCIDENT"),  # the first channel
        (_changed(CANVAS), None),  # not a channel
        ({"type": "app_context_changed", "context": {}}, None),  # viewing nothing
        ({"type": "app_context_changed"}, None),
        (_changed("C0NOTANENTITY", {"type": "slack#/types/channel_id", "value": 42}), None),  # malformed
    ],
)
def test_the_channel_viewed_is_the_first_channel_entity(event: dict[str, Any], channel: str | None) -> None:
    assert viewed_channel(event) == channel
