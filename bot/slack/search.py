"""``SlackSearch``: Slack's Real-time Search (``assistant.search.context``) for the agent.

One call per search, with the asking event's ``action_token``: Slack searches as the person who
asked (public channels for a bot token; only what that person may see) and answers messages
with their permalinks. The call takes a slot in the workspace's budget like every other Slack
call, without waiting for one, and is not retried: a search that cannot be made now becomes
``SearchUnavailable`` with one sentence for the model. Neither the token nor what was found is
logged, only the refusal's code: the SDK's own debug lines would print both (the request's JSON,
the response's body), so the call goes through a copy of the client whose logger stays quiet.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.ports import SearchUnavailable, SlackHit
from bot.slack.delivery import DELIVERY_ERRORS, SlackDelivery, error_code

log = logging.getLogger(__name__)
# The SDK logs each request and response at DEBUG unless its logger's own level is above that.
_QUIET_SDK = logging.getLogger(f"{__name__}.sdk")
_QUIET_SDK.setLevel(logging.INFO)

METHOD = "assistant.search.context"
_GOES_ON = "so this answer does not use Slack discussion."
REFUSALS = {
    "feature_not_enabled": f"Slack search is not enabled for this workspace, {_GOES_ON}",
    "missing_scope": f"The bot is not allowed to search Slack (scope search:read.public), {_GOES_ON}",
    "invalid_action_token": f"Slack no longer accepts this question's search permission, {_GOES_ON}",
    "ratelimited": f"Slack search is rate limited right now, {_GOES_ON}",
    "rate_limited": f"Slack search is rate limited right now, {_GOES_ON}",
}
# Slack's markup in a query: mentions and links (their label kept) and text formatting.
_LINK = re.compile(r"<[^|>]*\|([^>]*)>|<[^>]*>")
_FORMATTING = re.compile(r"[*_`~>]+")


class SlackSearch:
    """``DiscussionBackend`` over the bot's Slack client."""

    def __init__(self, client: AsyncWebClient, *, team: str = "") -> None:
        self._delivery = SlackDelivery(quiet(client), team=team)

    async def search(
        self, query: str, *, action_token: str, context_channel_id: str | None, limit: int
    ) -> list[SlackHit]:
        args: dict[str, Any] = {"query": plain_query(query), "action_token": action_token, "limit": limit}
        if context_channel_id:
            args["context_channel_id"] = context_channel_id
        try:
            response = await self._delivery.call(METHOD, args, wait=False)
        except DELIVERY_ERRORS as error:
            code = error_code(error)
            log.info("slack search refused (%s)", code)
            raise SearchUnavailable(REFUSALS.get(code, f"Slack search failed ({code}), {_GOES_ON}")) from None
        return hits(response.data if isinstance(response.data, dict) else {})


def quiet(client: AsyncWebClient) -> AsyncWebClient:
    """``client`` (its token, session, retries and so its budget) with the SDK's debug lines off."""
    return AsyncWebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        session=client.session,
        retry_handlers=list(client.retry_handlers),
        logger=_QUIET_SDK,
    )


def plain_query(query: str) -> str:
    """The query without Slack's markup, which Real-time Search wants stripped."""
    text = _LINK.sub(lambda match: match.group(1) or " ", query)
    return " ".join(_FORMATTING.sub(" ", text).split())


def hits(body: Mapping[str, Any]) -> list[SlackHit]:
    """The messages of a search answer (under ``results``, or at the top as some docs show)."""
    results = body.get("results")
    messages = (results if isinstance(results, dict) else body).get("messages") or []
    return [_hit(message) for message in messages if isinstance(message, dict)]


def _hit(message: Mapping[str, Any]) -> SlackHit:
    return SlackHit(
        author=str(message.get("author_name") or message.get("user_id") or "someone"),
        channel_name=str(message.get("channel_name") or message.get("channel_id") or ""),
        ts=str(message.get("message_ts") or ""),
        text=str(message.get("content") or ""),
        permalink=str(message.get("permalink") or ""),
    )
