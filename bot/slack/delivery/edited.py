"""A posted answer message rewritten in place (chat.postMessage, then chat.update): the post rung.

A message still being written may carry controls (the Stop button) under its text, which then
goes as a ``markdown`` block; its final write swaps them for the closing blocks (a finished
answer's feedback buttons), or drops them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from slack_sdk.models.messages.chunk import Chunk

from bot.slack.delivery.door import NO_UNFURL, SlackDelivery
from bot.slack.delivery.reply import EMPTY_MESSAGE, PLACEHOLDER, message_body

log = logging.getLogger(__name__)


class EditedReply:
    """A posted message rewritten in place; the sink throttles how often ``append`` is called.

    ``controls`` (the Stop button) stay under the text while it grows; the final update puts the
    closing blocks (a finished answer's feedback buttons) in their place. A message posted whole
    (``controls`` are then the closing blocks) needs no update at all.
    """

    shows_tasks = False
    write_method = "chat.update"

    def __init__(
        self,
        delivery: SlackDelivery,
        channel: str,
        ts: str,
        text: str,
        controls: Sequence[dict[str, Any]] = (),
    ) -> None:
        self._delivery = delivery
        self._channel = channel
        self._ts = ts
        self._text = text
        self._shown = text
        self._controls = list(controls)
        self._blocks_shown = list(controls)  # what Slack shows under the text

    @classmethod
    async def start(
        cls,
        delivery: SlackDelivery,
        *,
        channel: str,
        thread_ts: str,
        text: str,
        controls: Sequence[dict[str, Any]] = (),
    ) -> EditedReply:
        """Post the message (a placeholder when ``text`` is empty); raises when posting fails."""
        body = message_body(text or PLACEHOLDER, controls)
        response = await delivery.call(
            "chat.postMessage",
            {"channel": channel, "thread_ts": thread_ts, **body, **NO_UNFURL},
            channel=channel,
        )
        delivery.promise("chat.update")  # its final update, if it needs one; interim ones leave room
        return cls(delivery, channel, str(response["ts"]), text, controls)

    @property
    def ts(self) -> str | None:
        return self._ts

    async def append(self, text: str, *, wait: bool = True) -> None:
        others = self._delivery.promised("chat.update") - 1  # the final updates other messages owe
        await self._update(self._text + text, self._controls, final=False, wait=wait, reserve=max(0, others))
        self._text += text  # kept even when Slack refused: the next update carries it

    async def task(self, chunk: Chunk) -> None:
        return None

    async def close(self, full_text: str, closing: Sequence[dict[str, Any]] = ()) -> None:
        try:
            if full_text != self._shown or not full_text or self._blocks_shown != list(closing):
                await self._update(full_text or EMPTY_MESSAGE, closing, final=True)
        finally:
            self._delivery.fulfil("chat.update")

    async def _update(
        self,
        text: str,
        blocks: Sequence[dict[str, Any]],
        *,
        final: bool,
        wait: bool = True,
        reserve: int = 0,
    ) -> None:
        # Once a message had blocks its content stays in blocks: dropping them removes the buttons.
        body = message_body(text, blocks, in_blocks=bool(self._blocks_shown))
        args = {"channel": self._channel, "ts": self._ts, **body, **NO_UNFURL}
        if not await self._delivery.rewrite(args, final=final, wait=wait, reserve=reserve):
            return
        self._shown = text
        self._blocks_shown = list(blocks)
