"""Block Kit in the SIMULATED Slack, driven by the real slack_sdk client: refused as Slack refuses it.

Every surface that takes blocks answers a broken one with HTTP 200 and Slack's shape
(``invalid_blocks``, ``errors``, ``response_metadata.messages``) and records nothing as posted;
a view is refused as ``invalid_arguments`` with the same detail lines, as Slack does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from simulators.slack import SlackSimulator, block_problems, view_problems

TOKEN = "xoxb-test-token"
Block = dict[str, Any]


@pytest.fixture
async def sim() -> AsyncIterator[SlackSimulator]:
    async with SlackSimulator(token=TOKEN) as simulator:
        yield simulator


@pytest.fixture
def client(sim: SlackSimulator) -> AsyncWebClient:
    return AsyncWebClient(token=TOKEN, base_url=sim.api_url)


def text(value: str, kind: str = "mrkdwn") -> Block:
    return {"type": kind, "text": value}


def section(value: str = "card") -> Block:
    return {"type": "section", "text": text(value)}


def button(label: str = "Open", **extra: Any) -> Block:
    return {"type": "button", "text": text(label, "plain_text"), "action_id": "open", **extra}


def actions(*elements: Block) -> Block:
    return {"type": "actions", "elements": list(elements)}


def modal(blocks: list[Block], **changes: Any) -> Block:
    return {"type": "modal", "title": text("Why", "plain_text"), "blocks": blocks, **changes}


def form(label: str = "Why") -> Block:
    return {
        "type": "input",
        "label": text(label, "plain_text"),
        "element": {"type": "plain_text_input", "action_id": "why"},
    }


# Each broken message, and the line Slack lists for it.
REFUSED: dict[str, tuple[list[Block], str]] = {
    "unknown block type": ([{"type": "banner"}], "unsupported type: banner [json-pointer:/blocks/0/type]"),
    "51 blocks": ([section()] * 51, "no more than 50 items allowed [json-pointer:/blocks]"),
    "section text over 3000": (
        [section("x" * 3001)],
        "must be less than 3001 characters [json-pointer:/blocks/0/text/text]",
    ),
    "field over 2000": (
        [{"type": "section", "fields": [text("f"), text("x" * 2001)]}],
        "must be less than 2001 characters [json-pointer:/blocks/0/fields/1/text]",
    ),
    "11 fields": (
        [{"type": "section", "fields": [text("f")] * 11}],
        "no more than 10 items allowed [json-pointer:/blocks/0/fields]",
    ),
    "empty section text": (
        [section("")],
        "must be more than 0 characters [json-pointer:/blocks/0/text/text]",
    ),
    "text object without text": (
        [{"type": "section", "text": {"type": "mrkdwn"}}],
        "missing required field: text [json-pointer:/blocks/0/text]",
    ),
    "unknown text object": (
        [{"type": "section", "text": text("hi", "markdown")}],
        "unsupported type: markdown [json-pointer:/blocks/0/text/type]",
    ),
    "header over 150": (
        [{"type": "header", "text": text("h" * 151, "plain_text")}],
        "must be less than 151 characters [json-pointer:/blocks/0/text/text]",
    ),
    "header in mrkdwn": (
        [{"type": "header", "text": text("h")}],
        "unsupported type: mrkdwn [json-pointer:/blocks/0/text/type]",
    ),
    "11 context elements": (
        [{"type": "context", "elements": [text("c")] * 11}],
        "no more than 10 items allowed [json-pointer:/blocks/0/elements]",
    ),
    "26 actions": (
        [actions(*[button()] * 26)],
        "no more than 25 items allowed [json-pointer:/blocks/0/elements]",
    ),
    "element the block does not take": (
        [actions({"type": "plain_text_input", "action_id": "a"})],
        "unsupported type: plain_text_input [json-pointer:/blocks/0/elements/0/type]",
    ),
    "button text of 76": (
        [actions(button("b" * 76))],
        "must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]",
    ),
    "button value over 2000": (
        [actions(button(value="v" * 2001))],
        "must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]",
    ),
    "button url over 3000": (
        [actions(button(url="https://x.test/" + "u" * 2986))],
        "must be less than 3001 characters [json-pointer:/blocks/0/elements/0/url]",
    ),
    "action_id over 255": (
        [actions(button(action_id="a" * 256))],
        "must be less than 256 characters [json-pointer:/blocks/0/elements/0/action_id]",
    ),
    "block_id over 255": (
        [{**section(), "block_id": "b" * 256}],
        "must be less than 256 characters [json-pointer:/blocks/0/block_id]",
    ),
    "markdown block over 12000": (
        [{"type": "markdown", "text": "m" * 12_001}],
        "must be less than 12001 characters [json-pointer:/blocks/0/text]",
    ),
    "input label over 2000": (
        [form("l" * 2001)],
        "must be less than 2001 characters [json-pointer:/blocks/0/label/text]",
    ),
}


async def refusal(call: Awaitable[Any]) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as raised:
        await call
    assert raised.value.response.status_code == 200
    return dict(raised.value.response.data)


@pytest.mark.parametrize("blocks, problem", REFUSED.values(), ids=REFUSED.keys())
async def test_a_broken_message_is_refused_like_slack_and_not_posted(
    sim: SlackSimulator, client: AsyncWebClient, blocks: list[Block], problem: str
) -> None:
    root = sim.post_user_message("C1", "question")
    post = client.chat_postMessage(channel="C1", thread_ts=root, text="fallback", blocks=blocks)
    body = await refusal(post)
    assert body["ok"] is False and body["error"] == "invalid_blocks"
    assert problem in body["errors"]
    assert f"[ERROR] {problem}" in body["response_metadata"]["messages"]
    assert sim.calls("chat.postMessage")[0].problems == tuple(body["errors"])
    assert [message["ts"] for message in sim.thread("C1", root)] == [root], "nothing was posted"


async def test_blocks_at_every_limit_are_posted(sim: SlackSimulator, client: AsyncWebClient) -> None:
    blocks = [
        {"type": "header", "text": text("h" * 150, "plain_text")},
        {**section("x" * 3000), "block_id": "b" * 255, "accessory": button("b" * 75)},
        {"type": "section", "fields": [text("f" * 2000)] * 10},
        {
            "type": "context",
            "elements": [text("c"), {"type": "image", "image_url": "https://x.test/i.png", "alt_text": "i"}]
            * 5,
        },
        actions(
            *[button(value="v" * 2000, url="https://x.test/")] * 24,
            {"type": "overflow", "options": [{"text": text("o", "plain_text"), "value": "o"}]},
        ),
        {"type": "markdown", "text": "m" * 12_000},
        {"type": "divider"},
        {
            "type": "rich_text",
            "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": "r"}]}],
        },
        form("l" * 2000),
    ]
    blocks += [{"type": "divider"}] * (50 - len(blocks))
    posted = await client.chat_postMessage(channel="C1", text="fallback", blocks=blocks)
    message = sim.message("C1", posted["ts"])
    assert message is not None and message["blocks"] == blocks
    assert block_problems(blocks) == []


async def test_every_message_surface_refuses_broken_blocks_and_changes_nothing(
    sim: SlackSimulator, client: AsyncWebClient
) -> None:
    broken = [section("x" * 3001)]
    posted = await client.chat_postMessage(channel="D1", text="before", blocks=[section()])

    update = await refusal(client.chat_update(channel="D1", ts=posted["ts"], text="after", blocks=broken))
    assert update["error"] == "invalid_blocks"
    message = sim.message("D1", posted["ts"])
    assert message is not None and (message["text"], message["blocks"], message["edits"]) == (
        "before",
        [section()],
        0,
    )

    ephemeral = await refusal(client.chat_postEphemeral(channel="C1", user="U1", text="t", blocks=broken))
    assert ephemeral["error"] == "invalid_blocks" and sim.ephemeral_messages == []

    chunk = {"type": "blocks", "blocks": broken}
    start = client.chat_startStream(channel="D1", thread_ts=posted["ts"], chunks=[chunk])
    assert (await refusal(start))["errors"] == [
        "must be less than 3001 characters [json-pointer:/chunks/0/blocks/0/text/text]"
    ]
    assert len(sim.thread("D1", posted["ts"])) == 1, "no stream was opened"

    stream = await client.chat_startStream(channel="D1", thread_ts=posted["ts"], markdown_text="hi")
    append = client.chat_appendStream(channel="D1", ts=stream["ts"], chunks=[chunk])
    assert (await refusal(append))["error"] == "invalid_blocks"
    stop = client.chat_stopStream(channel="D1", ts=stream["ts"], blocks=broken)
    assert (await refusal(stop))["error"] == "invalid_blocks"
    streamed = sim.message("D1", stream["ts"])
    assert streamed is not None and streamed["state"] == "streaming" and streamed["text"] == "hi"
    await client.chat_stopStream(channel="D1", ts=stream["ts"], blocks=[section("done")])
    stopped = sim.message("D1", stream["ts"])
    assert stopped is not None and stopped["blocks"] == [section("done")]


async def test_unfurl_cards_are_checked_with_their_url_in_the_pointer(
    sim: SlackSimulator, client: AsyncWebClient
) -> None:
    url = "https://github.com/acme/payments/pull/42"
    ts = sim.post_user_message("C1", f"<{url}>")
    card = {"blocks": [actions(button("b" * 76))]}
    body = await refusal(client.chat_unfurl(channel="C1", ts=ts, unfurls={url: card}))
    pointer = "/unfurls/https:~1~1github.com~1acme~1payments~1pull~142/blocks/0/elements/0/text/text"
    assert body["errors"] == [f"must be less than 76 characters [json-pointer:{pointer}]"]
    assert sim.unfurls("C1", ts) == {}


async def test_a_response_url_refuses_broken_blocks_and_shows_nothing(sim: SlackSimulator) -> None:
    webhook = AsyncWebhookClient(f"{sim.url}/respond/tok")
    response = await webhook.send(text="fallback", blocks=[{"type": "banner"}])
    assert response.status_code == 400 and '"invalid_blocks"' in response.body
    assert sim.response_url_messages("tok") == []
    assert (await webhook.send(text="fallback", blocks=[section()])).status_code == 200


VIEWS_REFUSED: dict[str, tuple[Block, str]] = {
    "101 blocks": (modal([section()] * 101), "no more than 100 items allowed [json-pointer:/view/blocks]"),
    "title over 24": (
        modal([section()], title=text("t" * 25, "plain_text")),
        "must be less than 25 characters [json-pointer:/view/title/text]",
    ),
    "submit over 24": (
        modal([form()], submit=text("s" * 25, "plain_text")),
        "must be less than 25 characters [json-pointer:/view/submit/text]",
    ),
    "close over 24": (
        modal([section()], close=text("c" * 25, "plain_text")),
        "must be less than 25 characters [json-pointer:/view/close/text]",
    ),
    "input without submit": (
        modal([form()]),
        "must define `submit` to use an `input` block in modals [json-pointer:/view/blocks/0]",
    ),
    "broken block": (
        modal([{"type": "banner"}]),
        "unsupported type: banner [json-pointer:/view/blocks/0/type]",
    ),
}


@pytest.mark.parametrize("view, problem", VIEWS_REFUSED.values(), ids=VIEWS_REFUSED.keys())
async def test_a_broken_modal_is_refused_like_slack_and_not_opened(
    sim: SlackSimulator, client: AsyncWebClient, view: Block, problem: str
) -> None:
    body = await refusal(client.views_open(trigger_id="1.2.abc", view=view))
    assert body["error"] == "invalid_arguments"
    assert f"[ERROR] {problem}" in body["response_metadata"]["messages"]
    assert sim.opened_views == []


async def test_views_open_push_update_and_publish_check_their_view(
    sim: SlackSimulator, client: AsyncWebClient
) -> None:
    full = modal(
        [section()] * 99 + [form()], submit=text("s" * 24, "plain_text"), title=text("t" * 24, "plain_text")
    )
    opened = await client.views_open(trigger_id="1.2.abc", view=full)
    pushed = await client.views_push(trigger_id="1.2.def", view=modal([section()]))
    assert len(sim.opened_views) == 2 and pushed["view"]["id"] != opened["view"]["id"]

    updated = await client.views_update(view_id=opened["view"]["id"], view=modal([section("next")]))
    assert updated["view"]["id"] == opened["view"]["id"]
    broken = modal([section("x" * 3001)])
    assert (await refusal(client.views_update(view_id=opened["view"]["id"], view=broken)))["error"] == (
        "invalid_arguments"
    )
    assert (await refusal(client.views_push(trigger_id="1.2.ghi", view=broken)))[
        "error"
    ] == "invalid_arguments"

    home = {"type": "home", "blocks": [section()]}
    assert (await client.views_publish(user_id="U1", view=home))["view"]["type"] == "home"
    assert (await refusal(client.views_publish(user_id="U1", view={**home, "blocks": [section()] * 101})))[
        "response_metadata"
    ]["messages"] == ["[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]"]
    assert view_problems(full) == []
