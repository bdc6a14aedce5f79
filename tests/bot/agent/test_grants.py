"""``GrantedSearch``: a run's grant is held in memory for a while, and searched with by run id."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable

import pytest

from bot.agent.grants import NO_GRANT, NOT_CONNECTED, GrantedSearch
from bot.ports import SearchGrant, SearchUnavailable
from bot.slack.delivery.budget import SlackBudget
from bot.slack.delivery.client import build_web_client
from bot.slack.search import SlackSearch
from simulators.slack import SlackSimulator

TOKEN = "xoxb-test-token"


@pytest.fixture
async def slack() -> AsyncIterator[SlackSimulator]:
    async with SlackSimulator(token=TOKEN) as simulator:
        if "search:read.public" not in simulator.scopes:
            simulator.scopes.append("search:read.public")
        simulator.post_user_message("C0GENERAL", "the deploy failed on a lock")
        yield simulator


def bound(
    slack: SlackSimulator, *, ttl: float = 600.0, clock: Callable[[], float] = time.monotonic
) -> GrantedSearch:
    granted = GrantedSearch(ttl=ttl, clock=clock)
    granted.bind(SlackSearch(build_web_client(TOKEN, slack.api_url, budget=SlackBudget())))
    return granted


async def test_a_held_grant_searches_with_its_token_and_channel(slack: SlackSimulator) -> None:
    granted = bound(slack)
    token = slack.search.mint_action_token()
    granted.keep("run-1", SearchGrant(token, "C0GENERAL"))

    [hit] = await granted.search("deploy lock", run_id="run-1", limit=3)

    assert hit.text == "the deploy failed on a lock"
    [call] = slack.calls("assistant.search.context")
    assert (call.args["action_token"], call.args["context_channel_id"], call.args["limit"]) == (
        token,
        "C0GENERAL",
        3,
    )


async def test_another_runs_grant_is_not_used(slack: SlackSimulator) -> None:
    granted = bound(slack)
    granted.keep("run-1", SearchGrant(slack.search.mint_action_token()))
    with pytest.raises(SearchUnavailable) as raised:
        await granted.search("deploy", run_id="run-2", limit=3)
    assert raised.value.message == NO_GRANT and slack.calls("assistant.search.context") == []


async def test_a_grant_expires(slack: SlackSimulator) -> None:
    now = [0.0]
    granted = bound(slack, ttl=60.0, clock=lambda: now[0])
    granted.keep("run-1", SearchGrant(slack.search.mint_action_token()))
    assert granted.held("run-1")
    now[0] = 61.0
    assert not granted.held("run-1")
    with pytest.raises(SearchUnavailable, match="unavailable for this question"):
        await granted.search("deploy", run_id="run-1", limit=3)


async def test_before_the_edge_binds_a_backend_it_is_unavailable() -> None:
    granted = GrantedSearch()
    granted.keep("run-1", SearchGrant("token"))
    with pytest.raises(SearchUnavailable) as raised:
        await granted.search("deploy", run_id="run-1", limit=3)
    assert raised.value.message == NOT_CONNECTED


def test_the_token_is_not_in_a_grants_repr() -> None:
    assert "secret-token" not in repr(SearchGrant("secret-token", "C1"))
