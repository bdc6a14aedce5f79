"""The SIMULATED ``assistant.search.context``, driven by the real slack_sdk client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from simulators.slack import SlackSimulator, TierEnforcer, TierRule

TOKEN = "xoxb-test-token"
METHOD = "assistant.search.context"


@pytest.fixture
async def sim() -> AsyncIterator[SlackSimulator]:
    async with SlackSimulator(token=TOKEN) as simulator:
        granted(simulator)
        yield simulator


def granted(sim: SlackSimulator) -> None:
    """The install includes the search scope (as manifest.yml asks for it)."""
    if "search:read.public" not in sim.scopes:
        sim.scopes.append("search:read.public")


@pytest.fixture
def client(sim: SlackSimulator) -> AsyncWebClient:
    return AsyncWebClient(token=TOKEN, base_url=sim.api_url, retry_handlers=[])


async def search(client: AsyncWebClient, **args: Any) -> dict[str, Any]:
    response = await client.api_call(METHOD, json=args)
    return dict(response.data) if isinstance(response.data, dict) else {}


async def refused(client: AsyncWebClient, **args: Any) -> str:
    with pytest.raises(SlackApiError) as raised:
        await client.api_call(METHOD, json=args)
    return str(raised.value.response["error"])


async def test_public_messages_that_match_come_back_with_their_permalinks(
    sim: SlackSimulator, client: AsyncWebClient
) -> None:
    sim.search.name_channel("C0INCIDENT", "incidents")
    sim.search.name_user("U0ANA", "Ana")
    ts = sim.post_user_message(
        "C0INCIDENT", "Rolled back the payments deploy: migration locked", user="U0ANA"
    )
    sim.post_user_message("C0INCIDENT", "lunch anyone?")
    token = sim.search.mint_action_token()

    body = await search(client, query="payments deploy", action_token=token)

    [hit] = body["results"]["messages"]
    assert hit["author_name"] == "Ana" and hit["user_id"] == "U0ANA"
    assert (hit["channel_id"], hit["channel_name"], hit["message_ts"]) == ("C0INCIDENT", "incidents", ts)
    assert hit["content"].startswith("Rolled back the payments deploy")
    assert hit["permalink"].endswith(f"/archives/C0INCIDENT/p{ts.replace('.', '')}")
    assert sim.calls(METHOD)[0].args["action_token"] == token


async def test_private_channels_dms_and_bot_posts_are_never_found(
    sim: SlackSimulator, client: AsyncWebClient
) -> None:
    sim.search.name_channel("C0SECRET", "secret", private=True)
    sim.post_user_message("C0SECRET", "payments deploy in the private channel")
    sim.post_user_message("D0DIRECT", "payments deploy in a DM")
    sim.post_user_message("G0GROUP", "payments deploy in a group")
    await client.chat_postMessage(channel="C0GENERAL", text="payments deploy, says the bot")
    public = sim.post_user_message("C0GENERAL", "payments deploy in public")

    body = await search(client, query="payments deploy", action_token=sim.search.mint_action_token())

    assert [hit["message_ts"] for hit in body["results"]["messages"]] == [public]


async def test_more_matching_words_rank_higher_and_limit_cuts(
    sim: SlackSimulator, client: AsyncWebClient
) -> None:
    one = sim.post_user_message("C0GENERAL", "deploy finished")
    both = sim.post_user_message("C0GENERAL", "payments deploy failed")
    sim.post_user_message("C0GENERAL", "deploy again")
    token = sim.search.mint_action_token()

    body = await search(client, query="payments deploy", action_token=token, limit=2)

    assert [hit["message_ts"] for hit in body["results"]["messages"]] == [both, one]


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ({"query": "deploy"}, "invalid_action_token"),
        ({"query": "deploy", "action_token": "forged"}, "invalid_action_token"),
        ({"action_token": "minted"}, "invalid_arguments"),
        ({"query": "  ", "action_token": "minted"}, "invalid_arguments"),
        ({"query": "deploy", "action_token": "minted", "limit": 21}, "invalid_arguments"),
    ],
)
async def test_bad_requests_are_refused(
    sim: SlackSimulator, client: AsyncWebClient, args: dict[str, Any], error: str
) -> None:
    if args.get("action_token") == "minted":
        args = {**args, "action_token": sim.search.mint_action_token()}
    assert await refused(client, **args) == error


async def test_a_revoked_token_stops_working(sim: SlackSimulator, client: AsyncWebClient) -> None:
    token = sim.search.mint_action_token()
    sim.search.revoke_action_tokens()
    assert await refused(client, query="deploy", action_token=token) == "invalid_action_token"


async def test_a_workspace_without_the_feature_says_so(sim: SlackSimulator, client: AsyncWebClient) -> None:
    sim.search.enabled = False
    token = sim.search.mint_action_token()
    assert await refused(client, query="deploy", action_token=token) == "feature_not_enabled"


async def test_without_the_scope_it_is_missing_scope(sim: SlackSimulator, client: AsyncWebClient) -> None:
    sim.scopes.remove("search:read.public")
    token = sim.search.mint_action_token()
    assert await refused(client, query="deploy", action_token=token) == "missing_scope"


async def test_the_tier_limits_searches_with_429() -> None:
    tiers = TierEnforcer({METHOD: TierRule(1)}, burst_minutes=1.0)
    async with SlackSimulator(token=TOKEN, tiers=tiers) as sim:
        granted(sim)
        client = AsyncWebClient(token=TOKEN, base_url=sim.api_url, retry_handlers=[])
        token = sim.search.mint_action_token()
        await search(client, query="deploy", action_token=token)
        assert await refused(client, query="deploy", action_token=token) == "ratelimited"
        assert sim.calls(METHOD)[-1].status == 429
