"""The delivery ladder: where a thread's answer can go now, and opening a message there.

From the top: a native stream (``bot.slack.delivery.stream``: task cards, Slack's own Stop);
a posted message edited as it grows (``bot.slack.delivery.edited``); a slash command's
response_url where the bot cannot post at all (``bot.slack.delivery.response_url``); and
"none" when nothing is left. A refusal that calls for it (``door.next_rung``) steps down once,
logged and counted; a run never climbs back up.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.messages.chunk import Chunk

from bot.slack.delivery.counters import Rung
from bot.slack.delivery.door import DELIVERY_ERRORS, SlackDelivery, error_code, next_rung
from bot.slack.delivery.edited import EditedReply
from bot.slack.delivery.reply import Reply
from bot.slack.delivery.response_url import Respond, ResponseUrl, ResponseUrlReply
from bot.slack.delivery.stream import StreamedReply
from bot.store import Asker

# The method that creates the next message on each rung, when there is none yet.
_OPENING_METHOD: dict[Rung, str | None] = {
    "stream": None,  # a stream start never waits: no slot means step down to post
    "post": "chat.postMessage",
    "response_url": None,
    "none": None,
}


class Ladder:
    """One thread's place on the ladder. Below the stream, a message still being written carries
    ``controls`` (the Stop button); the stream has Slack's own Stop control instead."""

    def __init__(
        self,
        door: SlackDelivery,
        asker: Asker,
        *,
        respond: Respond | None = None,
        controls: Sequence[dict[str, Any]] = (),
    ) -> None:
        self._door = door
        self._asker = asker
        self._url = ResponseUrl(respond) if respond is not None else None
        self._controls = list(controls)
        self.rung: Rung = "stream"

    @property
    def opening_method(self) -> str | None:
        """The method a new message on this rung starts with, to wait for its budget."""
        return _OPENING_METHOD[self.rung]

    @property
    def on_last_response(self) -> bool:
        """Whether the next message takes the response_url's last use."""
        return self.rung == "response_url" and self._url is not None and self._url.left <= 1

    async def open(
        self,
        *,
        chunks: Sequence[Chunk] = (),
        text: str = "",
        post_now: bool = True,
        complete: bool = False,
        closing: Sequence[dict[str, Any]] = (),
    ) -> Reply | None:
        """A new message on the highest rung that works, stepping down on the refusals that call for it.

        With ``post_now=False`` a step down to post stops there: the message is posted later,
        with text, rather than as a placeholder that costs an update. A ``complete`` message
        has no controls, nothing it shows is still coming, but it may carry ``closing`` blocks.
        """
        while post_now or self.rung != "post":
            try:
                return await self._start(chunks, text, list(closing) if complete else self._controls)
            except DELIVERY_ERRORS as error:
                self._step_down(error_code(error))
        return None

    async def working(self) -> None:
        """On the response_url rung, say that the answer is coming (with the controls, if any)."""
        if self.rung == "response_url" and self._url is not None:
            await self._url.working(self._controls)

    def exhausted(self) -> None:
        """The response_url's last use is taken: nothing further can be shown."""
        self.rung = "none"

    async def _start(
        self, chunks: Sequence[Chunk], text: str, controls: list[dict[str, Any]]
    ) -> Reply | None:
        asker = self._asker
        if self.rung == "stream":
            return await StreamedReply.start(
                self._door,
                channel=asker.channel,
                thread_ts=asker.thread_ts,
                recipient_user_id=asker.user_id,
                recipient_team_id=asker.team_id,
                chunks=chunks,
                text=text,
            )
        if self.rung == "post":
            return await EditedReply.start(
                self._door,
                channel=asker.channel,
                thread_ts=asker.thread_ts,
                text=text,
                controls=controls,
            )
        if self.rung == "response_url" and self._url is not None:
            return ResponseUrlReply(self._url)
        return None

    def _step_down(self, code: str) -> None:
        to_rung = next_rung(self.rung, code)
        if to_rung == "response_url" and self._url is None:
            to_rung = "none"
        self._door.step_down(self.rung, to_rung, code, self._asker.channel)
        self.rung = to_rung
