"""The approval cards of MCP requests, in MCP_APPROVAL_CHANNEL, through the Slack delivery door.

A card names the MCP client and the exact action (the write's one-line description and its
preview, verbatim), with the Approve / Deny buttons of any proposal: `chatops serve`'s listener
takes the click. When this process sees a request expire, it replaces the card with the outcome.
"""

from __future__ import annotations

import logging

from bot.lookup import LinkPolicy
from bot.mcp.requests import CardNotPosted
from bot.slack.blocks import outcome_blocks, outcome_text, request_blocks, request_text
from bot.slack.delivery import DELIVERY_ERRORS, SlackDelivery, error_code
from bot.store import ApprovalRecord

log = logging.getLogger(__name__)


class SlackCards:
    """Cards posted and updated as the bot, in the workspace of its token."""

    def __init__(self, delivery: SlackDelivery, links: LinkPolicy) -> None:
        self._delivery = delivery
        self._links = links

    @property
    def team_id(self) -> str:
        return self._delivery.team

    async def post(self, record: ApprovalRecord, action: str) -> str:
        client = record.requester or "unknown client"
        blocks = request_blocks(
            approval_id=record.id,
            client=client,
            action=action,
            tool=record.tool,
            preview=record.preview,
            expires_at=record.expires_at,
        )
        try:
            return await self._delivery.post(
                record.channel, request_text(client, action, record.preview), blocks=blocks
            )
        except DELIVERY_ERRORS as exc:
            log.warning(
                "could not post the approval card of %s in %s: %s", record.id, record.channel, error_code(exc)
            )
            raise CardNotPosted(error_code(exc)) from None

    async def show_outcome(self, record: ApprovalRecord) -> None:
        if not record.message_ts:
            return
        blocks = outcome_blocks(record, self._links)
        try:
            await self._delivery.update(
                record.channel, record.message_ts, outcome_text(record), blocks=blocks
            )
        except DELIVERY_ERRORS as exc:
            log.warning("could not show the outcome of approval %s: %s", record.id, error_code(exc))
