"""The SIMULATED Slack's chat.unfurl, driven by the real slack_sdk client: checked like Slack checks it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from simulators.slack import SlackSimulator

TOKEN = "xoxb-test-token"
URL = "https://github.com/acme/payments/pull/42"
CARD = {"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "*acme/payments#42*"}}]}


@pytest.fixture
async def sim() -> AsyncIterator[SlackSimulator]:
    async with SlackSimulator(token=TOKEN) as simulator:
        yield simulator


@pytest.fixture
def client(sim: SlackSimulator) -> AsyncWebClient:
    return AsyncWebClient(token=TOKEN, base_url=sim.api_url)


async def _refusal(call: Any) -> str:
    with pytest.raises(SlackApiError) as raised:
        await call
    return str(raised.value.response["error"])


async def test_unfurls_attach_to_the_message_that_has_the_link(
    sim: SlackSimulator, client: AsyncWebClient
) -> None:
    ts = sim.post_user_message("C1", f"look at <{URL}>")

    response = await client.chat_unfurl(channel="C1", ts=ts, unfurls={URL: CARD})

    assert response["ok"] is True
    assert sim.unfurls("C1", ts) == {URL: CARD}


async def test_form_encoded_unfurls_are_json_decoded_like_slack_does(
    sim: SlackSimulator, client: AsyncWebClient
) -> None:
    ts = sim.post_user_message("C1", URL)

    await client.api_call(
        "chat.unfurl", data={"channel": "C1", "ts": ts, "unfurls": json.dumps({URL: {"text": "PR"}})}
    )

    assert sim.unfurls("C1", ts) == {URL: {"text": "PR"}}


async def test_composer_links_unfurl_by_unfurl_id_and_source(
    sim: SlackSimulator, client: AsyncWebClient
) -> None:
    await client.chat_unfurl(unfurl_id="Uf123", source="composer", unfurls={URL: CARD})

    assert sim.unfurls("composer", "Uf123") == {URL: CARD}
    assert await _refusal(client.chat_unfurl(unfurl_id="Uf1", source="elsewhere", unfurls={URL: CARD})) == (
        "invalid_source"
    )


async def test_what_slack_refuses(sim: SlackSimulator, client: AsyncWebClient) -> None:
    ts = sim.post_user_message("C1", f"<{URL}>")
    bad_blocks = {"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]}

    assert await _refusal(client.chat_unfurl(ts=ts, unfurls={URL: CARD})) == "missing_channel"
    assert await _refusal(client.chat_unfurl(channel="C1", unfurls={URL: CARD})) == "missing_ts"
    assert await _refusal(client.chat_unfurl(channel="C1", ts="1.000001", unfurls={URL: CARD})) == (
        "cannot_find_message"
    )
    assert await _refusal(client.chat_unfurl(channel="C1", ts=ts)) == "missing_unfurls"
    other = "https://github.com/acme/other/pull/1"
    assert (
        await _refusal(client.chat_unfurl(channel="C1", ts=ts, unfurls={other: CARD}))
        == "cannot_unfurl_message"
    )
    # Slack answers a broken unfurl card like a broken message (invalid_blocks, java-slack-sdk#948).
    assert await _refusal(client.chat_unfurl(channel="C1", ts=ts, unfurls={URL: bad_blocks})) == (
        "invalid_blocks"
    )
    assert await _refusal(client.chat_unfurl(channel="C1", ts=ts, unfurls={URL: {"color": "good"}})) == (
        "cannot_parse_attachment"
    )
    assert sim.unfurls("C1", ts) == {}
