"""A slash command's response_url: the rung for a thread where the bot cannot post at all.

Slack accepts five responses per response_url, so there are no live edits: each message goes
whole, and the last use says when the rest of a long answer did not fit.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Protocol

from slack_sdk.models.messages.chunk import Chunk

from bot.slack.delivery.door import DELIVERY_ERRORS, NO_UNFURL, error_code
from bot.slack.delivery.reply import EMPTY_MESSAGE, PLACEHOLDER

log = logging.getLogger(__name__)

RESPONSE_URL_USES = 5  # Slack accepts five responses per response_url
TOO_LONG_FOR_RESPONSE_URL = "\n\n_(The rest did not fit; invite me to the channel and ask again.)_"


class Respond(Protocol):
    """Bolt's ``respond`` (a slash command's response_url), or anything called like it."""

    async def __call__(
        self,
        text: str = "",
        blocks: Sequence[dict[str, Any]] | None = None,
        attachments: Sequence[dict[str, Any]] | None = None,
        response_type: str | None = None,
        replace_original: bool | None = None,
        delete_original: bool | None = None,
        unfurl_links: bool | None = None,
        unfurl_media: bool | None = None,
    ) -> Any: ...


class ResponseUrl:
    """A slash command's response_url: five uses, so no live edits, one use per message.

    With controls the "working on it" message carries them, and the first answer message
    replaces it (``replace_original``), so the controls go with it.
    """

    def __init__(self, respond: Respond) -> None:
        self._respond = respond
        self.uses = 0
        self._replaceable = False  # the working message with controls is showing

    @property
    def left(self) -> int:
        return RESPONSE_URL_USES - self.uses

    async def working(self, controls: Sequence[dict[str, Any]] = ()) -> None:
        """Say that the answer is coming; with controls, in a message the answer will replace."""
        if not controls:
            await self.say(PLACEHOLDER, ephemeral=True)
            return
        # In the channel like the answer that replaces it: a replacement keeps the visibility.
        self._replaceable = await self._send(PLACEHOLDER, controls, ephemeral=False, replace=False)

    async def say(self, markdown: str, *, ephemeral: bool = False) -> bool:
        """Send one message as Markdown; False when Slack (or the exhausted URL) refused it."""
        replace, self._replaceable = self._replaceable, False
        return await self._send(markdown, [], ephemeral=ephemeral, replace=replace)

    async def _send(
        self, markdown: str, controls: Sequence[dict[str, Any]], *, ephemeral: bool, replace: bool
    ) -> bool:
        if self.left <= 0:
            return False
        self.uses += 1
        try:
            response = await self._respond(
                text=markdown[:3000],  # the notification fallback; the block carries the answer
                blocks=[{"type": "markdown", "text": markdown}, *controls],
                response_type="ephemeral" if ephemeral else "in_channel",
                replace_original=True if replace else None,
                **NO_UNFURL,
            )
        except DELIVERY_ERRORS as error:
            log.error("slack response_url refused a message (%s)", error_code(error))
            return False
        status = getattr(response, "status_code", 200)
        if status != 200:
            log.error("slack response_url refused a message (HTTP %s)", status)
        return bool(status == 200)


class ResponseUrlReply:
    """One answer message through the response_url; sent whole when it is closed."""

    shows_tasks = False
    write_method = "response_url"
    ts = None

    def __init__(self, url: ResponseUrl) -> None:
        self._url = url

    async def append(self, text: str, *, wait: bool = True) -> None:
        return None  # five uses in all: no live edits

    async def task(self, chunk: Chunk) -> None:
        return None

    async def close(self, full_text: str, closing: Sequence[dict[str, Any]] = ()) -> None:
        # No closing blocks: Slack's feedback buttons are not known to work in a response_url message.
        await self._url.say(full_text or EMPTY_MESSAGE)
