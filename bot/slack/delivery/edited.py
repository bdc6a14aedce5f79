"""A posted answer message rewritten in place (chat.postMessage, then chat.update): the post rung.

A message still being written may carry controls (the Stop button) under its text, which then
goes as a ``markdown`` block; its final write drops the controls and leaves the text alone.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from slack_sdk.models.messages.chunk import Chunk

from bot.slack.delivery.door import NO_UNFURL, SlackDelivery
from bot.slack.delivery.reply import EMPTY_MESSAGE, PLACEHOLDER

log = logging.getLogger(__name__)


def _body(text: str, controls: Sequence[dict[str, Any]], *, blocks: bool) -> dict[str, Any]:
    """A message's content: ``markdown_text``, or (for a message with controls) a markdown block
    with the controls under it and ``text`` as the notification fallback."""
    if not blocks:
        return {"markdown_text": text}
    return {"text": text, "blocks": [{"type": "markdown", "text": text}, *controls]}


class EditedReply:
    """A posted message rewritten in place; the sink throttles how often ``append`` is called.

    ``controls`` (the Stop button) stay under the text while it grows; the final update drops them.
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
        self._controls_shown = bool(controls)

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
        body = _body(text or PLACEHOLDER, controls, blocks=bool(controls))
        response = await delivery.call(
            "chat.postMessage",
            {"channel": channel, "thread_ts": thread_ts, **body, **NO_UNFURL},
            channel=channel,
        )
        delivery.promise("chat.update")  # its final update; interim ones leave room for it
        return cls(delivery, channel, str(response["ts"]), text, controls)

    @property
    def ts(self) -> str | None:
        return self._ts

    async def append(self, text: str, *, wait: bool = True) -> None:
        others = self._delivery.promised("chat.update") - 1  # the final updates other messages owe
        await self._update(self._text + text, final=False, wait=wait, reserve=max(0, others))
        self._text += text  # kept even when Slack refused: the next update carries it

    async def task(self, chunk: Chunk) -> None:
        return None

    async def close(self, full_text: str) -> None:
        try:
            if full_text != self._shown or not full_text or self._controls_shown:
                await self._update(full_text or EMPTY_MESSAGE, final=True)
        finally:
            self._delivery.fulfil("chat.update")

    async def _update(self, text: str, *, final: bool, wait: bool = True, reserve: int = 0) -> None:
        # Once a message had controls its content stays in blocks: replacing them removes the button.
        body = _body(text, [] if final else self._controls, blocks=bool(self._controls))
        args = {"channel": self._channel, "ts": self._ts, **body, **NO_UNFURL}
        if not await self._delivery.rewrite(args, final=final, wait=wait, reserve=reserve):
            return
        self._shown = text
        self._controls_shown = not final and bool(self._controls)
