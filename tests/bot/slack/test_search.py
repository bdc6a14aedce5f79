"""``SlackSearch`` against the SIMULATED ``assistant.search.context``, through the bot's own client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.ports import SearchUnavailable
from bot.slack.delivery.budget import SlackBudget
from bot.slack.delivery.client import build_web_client
from bot.slack.search import METHOD, SlackSearch, plain_query
from simulators.slack import SlackSimulator

TOKEN = "xoxb-test-token"


@pytest.fixture
async def sim() -> AsyncIterator[SlackSimulator]:
    async with SlackSimulator(token=TOKEN) as simulator:
        if "search:read.public" not in simulator.scopes:
            simulator.scopes.append("search:read.public")
        yield simulator


@pytest.fixture
def client(sim: SlackSimulator) -> AsyncWebClient:
    return build_web_client(TOKEN, sim.api_url, budget=SlackBudget())


async def test_hits_carry_author_channel_text_and_permalink(
    sim: SlackSimulator, client: AsyncWebClient
) -> None:
    sim.search.name_channel("C0INCIDENT", "incidents")
    sim.search.name_user("U0ANA", "Ana")
    ts = sim.post_user_message(
        "C0INCIDENT", "We rolled back payments: the migration locked orders", user="U0ANA"
    )
    token = sim.search.mint_action_token()

    [hit] = await SlackSearch(client).search(
        "payments *rollback* <@U0BOT>", action_token=token, context_channel_id="C0INCIDENT", limit=5
    )

    assert (hit.author, hit.channel_name, hit.ts) == ("Ana", "incidents", ts)
    assert hit.text.startswith("We rolled back payments") and "/archives/C0INCIDENT/p" in hit.permalink
    [call] = sim.calls(METHOD)
    assert call.args == {
        "query": "payments rollback",
        "action_token": token,
        "limit": 5,
        "context_channel_id": "C0INCIDENT",
    }


def test_slack_markup_is_stripped_from_the_query() -> None:
    assert plain_query("why did <#C0INC|incidents> *fail* after <https://x.test|the deploy>? <@U1>") == (
        "why did incidents fail after the deploy?"
    )


@pytest.mark.parametrize(
    ("error", "says"),
    [
        ("feature_not_enabled", "not enabled for this workspace"),
        ("missing_scope", "search:read.public"),
        ("invalid_action_token", "no longer accepts"),
        ("rate_limited", "rate limited"),
        ("internal_error", "failed (internal_error)"),
    ],
)
async def test_a_refusal_is_one_sentence_and_the_agent_goes_on(
    sim: SlackSimulator, client: AsyncWebClient, error: str, says: str
) -> None:
    sim.refuse(METHOD, error)
    with pytest.raises(SearchUnavailable) as raised:
        await SlackSearch(client).search(
            "deploy", action_token=sim.search.mint_action_token(), context_channel_id=None, limit=5
        )
    assert says in raised.value.message and raised.value.message.endswith("does not use Slack discussion.")


async def test_a_429_is_not_waited_out(sim: SlackSimulator, client: AsyncWebClient) -> None:
    sim.rate_limit(METHOD, retry_after=30)
    with pytest.raises(SearchUnavailable) as raised:
        await SlackSearch(client).search(
            "deploy", action_token=sim.search.mint_action_token(), context_channel_id=None, limit=5
        )
    assert "rate limited" in raised.value.message
    assert len(sim.calls(METHOD)) == 1  # not retried after Retry-After


async def test_an_expired_token_is_unavailable_too(sim: SlackSimulator, client: AsyncWebClient) -> None:
    token = sim.search.mint_action_token()
    sim.search.revoke_action_tokens()
    with pytest.raises(SearchUnavailable, match="no longer accepts"):
        await SlackSearch(client).search("deploy", action_token=token, context_channel_id=None, limit=5)
