"""The log context of a Slack request: team, channel and thread from each kind of body Slack sends."""

from __future__ import annotations

from typing import Any

import pytest

from bot.log import current_context
from bot.slack.context import log_context_middleware, slack_log_fields


def test_an_event_names_its_team_channel_and_thread() -> None:
    body = {
        "team_id": "T1",
        "event": {"type": "app_mention", "team": "T9", "channel": "C1", "ts": "2.0", "thread_ts": "1.0"},
    }

    assert slack_log_fields(body) == {"team": "T1", "channel": "C1", "thread_ts": "1.0"}


def test_a_top_level_message_is_its_own_thread() -> None:
    body = {"event": {"team": "T1", "channel": "C1", "ts": "2.0"}}

    assert slack_log_fields(body) == {"team": "T1", "channel": "C1", "thread_ts": "2.0"}


def test_a_slash_command_has_no_thread() -> None:
    assert slack_log_fields({"team_id": "T1", "channel_id": "C1", "command": "/ask"}) == {
        "team": "T1",
        "channel": "C1",
    }


def test_a_button_click_names_the_thread_of_the_message_it_is_on() -> None:
    body = {
        "type": "block_actions",
        "team": {"id": "T1"},
        "channel": {"id": "C1"},
        "message": {"ts": "3.0", "thread_ts": "1.0"},
    }

    assert slack_log_fields(body) == {"team": "T1", "channel": "C1", "thread_ts": "1.0"}


@pytest.mark.parametrize(
    "body",
    [None, "text", [], {}, {"team_id": 7, "channel": ["C1"], "event": "x", "message": None}, {"team_id": ""}],
)
def test_odd_bodies_give_no_fields_and_no_error(body: Any) -> None:
    assert slack_log_fields(body) == {}


def test_values_are_clipped_so_a_forged_body_cannot_flood_the_log() -> None:
    fields = slack_log_fields({"team_id": "T" * 500, "channel_id": "C1"})

    assert fields["team"] == "T" * 64


async def test_the_middleware_sets_the_context_for_the_listener_only() -> None:
    seen: list[dict[str, str]] = []

    async def listener() -> None:
        seen.append(current_context())

    await log_context_middleware({"team_id": "T1", "channel_id": "C1"}, listener)

    assert seen == [{"team": "T1", "channel": "C1"}]
    assert current_context() == {}
