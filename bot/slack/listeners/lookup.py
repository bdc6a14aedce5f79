"""Slack listeners for the direct commands `/jira` and `/gh`, and the "More" button of Jira lists.

Like `/ask`: ack at once, post a visible parent message, answer in its thread. Where the bot
cannot post (not in the channel), the card goes back to the person alone through the
command's `response_url`. The cards themselves come from ``bot.lookup.commands.Lookup``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.lookup import Card, LinkPolicy, Lookup, notice_card, parse_github, parse_jira, usage_of
from bot.slack.blocks import (
    MORE_ACTION,
    SlackMessage,
    card_message,
    parse_more_value,
    without_more_button,
)
from bot.slack.click import Click
from bot.slack.delivery import DELIVERY_ERRORS, NO_UNFURL, SlackDelivery, error_code
from bot.slack.middleware import once_per_trigger
from bot.store import Store
from bot.text import escape

log = logging.getLogger(__name__)

LINK_ACTION = "open_link"
FAILED = "Something went wrong while looking that up; please try again."

Answer = Callable[[], Awaitable[Card]]


def register_lookup(app: AsyncApp, lookup: Lookup, store: Store, links: LinkPolicy) -> None:
    listeners = _LookupListeners(lookup, store, links)
    once = [once_per_trigger(store, "command")]
    app.command("/jira", middleware=once)(listeners.jira)
    app.command("/gh", middleware=once)(listeners.gh)
    app.action(MORE_ACTION)(listeners.more)
    # Link buttons open in the browser, but Slack still sends a block_actions that wants an ack.
    app.action(LINK_ACTION)(_ack_only)


async def _ack_only(ack: AsyncAck) -> None:
    await ack()


class _LookupListeners:
    def __init__(self, lookup: Lookup, store: Store, links: LinkPolicy) -> None:
        self._lookup = lookup
        self._store = store
        self._links = links

    async def jira(
        self, ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        text = str(command.get("text", "")).strip()
        usage = usage_of(parse_jira(text))
        if usage is not None:  # said to the asker alone, nothing posted in the channel
            await ack(text=usage)
            return
        await ack()
        await self._answer(command, client, respond, lambda: self._lookup.jira(text))

    async def gh(
        self, ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        text = str(command.get("text", "")).strip()
        usage = usage_of(parse_github(text))
        if usage is not None:
            await ack(text=usage)
            return
        await ack()
        await self._answer(command, client, respond, lambda: self._lookup.github(text))

    async def more(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        await ack()
        page = parse_more_value(str(action.get("value", "")))
        container = body.get("container") or {}
        channel = str((body.get("channel") or {}).get("id") or container.get("channel_id") or "")
        message = body.get("message") or {}
        message_ts = str(container.get("message_ts") or message.get("ts") or "")
        if page is None or not channel:
            return
        # One next page per list message, however often (or fast) the button is clicked.
        if not await self._store.claim(f"more:{channel}:{message_ts}:{page.token}"):
            return
        card = await _produce(lambda: self._lookup.jira_page(page))
        reply = card_message(card, self._links)
        if container.get("is_ephemeral") or not message:
            await respond(text=reply.text, blocks=reply.blocks, replace_original=False, **NO_UNFURL)
            return
        delivery = SlackDelivery(client, team=Click.of(body).team_id)
        await _drop_more_button(delivery, channel, message)
        await _post(delivery, channel, str(message.get("thread_ts") or message_ts), reply)

    async def _answer(
        self, command: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond, answer: Answer
    ) -> None:
        channel, user = command["channel_id"], command["user_id"]
        asked = f"{command.get('command', '')} {command.get('text', '')}".strip()
        delivery = SlackDelivery(client, team=command["team_id"])
        try:
            parent_ts = await delivery.post(channel, f"<@{user}> looked up: {escape(asked)}")
        except DELIVERY_ERRORS as exc:
            log.info("cannot post in %s (%s); answering privately", channel, error_code(exc))
            reply = card_message(await _produce(answer), self._links)
            await respond(text=reply.text, blocks=reply.blocks, response_type="ephemeral", **NO_UNFURL)
            return
        reply = card_message(await _produce(answer), self._links)
        await _post(delivery, channel, parent_ts, reply)


async def _produce(answer: Answer) -> Card:
    """The card, or a notice when building it failed in a way nobody planned for."""
    try:
        return await answer()
    except Exception:
        log.exception("a direct lookup failed")
        return notice_card(FAILED)


async def _post(delivery: SlackDelivery, channel: str, thread_ts: str, reply: SlackMessage) -> None:
    try:
        await delivery.post(channel, reply.text, thread_ts=thread_ts, blocks=reply.blocks)
    except DELIVERY_ERRORS as exc:
        log.error("could not post a card in %s (%s)", channel, error_code(exc))


async def _drop_more_button(delivery: SlackDelivery, channel: str, message: dict[str, Any]) -> None:
    blocks = message.get("blocks")
    if not isinstance(blocks, list):
        return
    try:
        text = str(message.get("text", ""))
        await delivery.update(channel, str(message["ts"]), text, blocks=without_more_button(blocks))
    except DELIVERY_ERRORS as exc:
        log.warning("could not remove the More button (%s)", error_code(exc))
