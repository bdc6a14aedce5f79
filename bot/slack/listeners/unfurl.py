"""The Slack listener for ``link_shared``: Jira and GitHub links get their cards via ``chat.unfurl``.

Bolt acknowledges the event before this runs (``process_before_response=False``), and the
retry middleware in ``bot.slack.app`` has already dropped redeliveries by ``event_id``. A link
in a posted message is unfurled by ``channel`` + ``message_ts``; one still in the composer
(``source: composer``) only by ``unfurl_id`` + ``source``.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.lookup import LinkPolicy, Unfurler
from bot.slack.blocks import card_blocks
from bot.slack.delivery import DELIVERY_ERRORS, SlackDelivery, error_code

log = logging.getLogger(__name__)


def register_unfurls(app: AsyncApp, unfurler: Unfurler, links: LinkPolicy) -> None:
    async def link_shared(event: dict[str, Any], client: AsyncWebClient) -> None:
        await unfurl(event, client, unfurler, links)

    app.event("link_shared")(link_shared)


async def unfurl(
    event: dict[str, Any], client: AsyncWebClient, unfurler: Unfurler, links: LinkPolicy
) -> None:
    urls = [
        str(link["url"]) for link in event.get("links") or [] if isinstance(link, dict) and link.get("url")
    ]
    cards = await unfurler.cards(urls)
    unfurls = {url: {"blocks": card_blocks(card, links)} for url, card in cards.items()}
    if not unfurls:
        return
    where = _where(event)
    delivery = SlackDelivery(client, team=str(event.get("team") or ""))
    try:
        if where is None:
            await delivery.unfurl(unfurls, unfurl_id=str(event.get("unfurl_id", "")), source="composer")
        else:
            await delivery.unfurl(unfurls, channel=where[0], ts=where[1])
    except DELIVERY_ERRORS as exc:
        log.warning("could not unfurl %d link(s) (%s)", len(unfurls), error_code(exc))


def _where(event: dict[str, Any]) -> tuple[str, str] | None:
    """The posted message's (channel, ts), or None for a link still in the composer."""
    if event.get("source") == "composer" or not event.get("message_ts") or not event.get("channel"):
        return None
    return str(event["channel"]), str(event["message_ts"])
