"""Who the bot is in Slack: ``auth.test`` against the simulated Web API, and its failures."""

from __future__ import annotations

import socket

import pytest

from bot.slack.probe import ProbeFailed, granted_scopes, identify
from simulators.slack import GRANTED_SCOPES, SlackSimulator


async def test_identity_names_the_team_the_bot_user_and_every_granted_scope() -> None:
    async with SlackSimulator(token="xoxb-probe") as slack:
        identity = await identify("xoxb-probe", slack.api_url)
    assert identity.team == "Simulated Workspace"
    assert identity.user_id.startswith("U")
    assert identity.scopes == frozenset(GRANTED_SCOPES)


async def test_a_wrong_token_is_refused_with_slacks_error_code() -> None:
    async with SlackSimulator(token="xoxb-probe") as slack:
        with pytest.raises(ProbeFailed) as caught:
            await identify("xoxb-someone-else", slack.api_url)
    assert caught.value.reason == "refused"
    assert caught.value.detail == "invalid_auth"


async def test_nothing_listening_is_unreachable_not_a_traceback() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nobody answers there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ProbeFailed) as caught:
        await identify("xoxb-probe", f"http://127.0.0.1:{port}/api/")
    assert caught.value.reason == "unreachable"


def test_scopes_are_read_from_the_header_in_any_case_and_list_form() -> None:
    assert granted_scopes({"X-OAuth-Scopes": "chat:write, commands"}) == {"chat:write", "commands"}
    assert granted_scopes({"x-oauth-scopes": ["app_mentions:read"]}) == {"app_mentions:read"}
    assert granted_scopes({}) == frozenset()
