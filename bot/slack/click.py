"""A click on a Block Kit button, read from the interaction payload Slack signed.

Every button the bot posts (Stop, 👍/👎, Details, Approve/Deny, a schedule's Remove) needs the
same few facts: which action, its value, who clicked (team and user), and where (channel,
message, thread). Reading them in one place keeps the fallbacks Slack's payloads need in one
place too: the team may only be on the user, the channel only on the container, and an
ephemeral message has no ``message`` at all.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.delivery import DELIVERY_ERRORS, SlackDelivery, error_code

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Click:
    action_id: str
    value: str
    team_id: str
    user_id: str
    channel_id: str
    message_ts: str
    thread_ts: str | None
    trigger_id: str

    @classmethod
    def of(cls, body: dict[str, Any]) -> Click:
        action = (body.get("actions") or [{}])[0]
        user = body.get("user") or {}
        container = body.get("container") or {}
        message = body.get("message")
        thread_ts = message.get("thread_ts") if isinstance(message, dict) else None
        return cls(
            action_id=str(action.get("action_id") or ""),
            value=str(action.get("value") or ""),
            team_id=str((body.get("team") or {}).get("id") or user.get("team_id") or ""),
            user_id=str(user.get("id") or ""),
            channel_id=str(container.get("channel_id") or (body.get("channel") or {}).get("id") or ""),
            message_ts=str(container.get("message_ts") or ""),
            thread_ts=str(thread_ts) if thread_ts else None,
            trigger_id=str(body.get("trigger_id") or ""),
        )

    async def tell(self, client: AsyncWebClient, text: str) -> None:
        """Answer the clicker alone, in the clicked message's thread."""
        delivery = SlackDelivery(client, team=self.team_id)
        try:
            await delivery.post_ephemeral(self.channel_id, self.user_id, text, thread_ts=self.thread_ts)
        except DELIVERY_ERRORS as exc:  # a courtesy: the click itself has been handled
            log.info("could not answer a click ephemerally: %s", error_code(exc))
