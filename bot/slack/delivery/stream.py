"""A natively streamed answer message: chat.startStream, appendStream with text and task cards, stopStream.

The stream rung, the top of the delivery ladder. Slack shows its own Stop control to the
recipient; the stop carries a finished answer's closing blocks (its feedback buttons) under the
streamed text. Once Slack has ended the stream (expiry, that Stop) the message is finished with
chat.update instead, blocks and all.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.models.messages.chunk import Chunk, MarkdownTextChunk

from bot.slack.delivery.budget import BudgetExhausted
from bot.slack.delivery.door import DELIVERY_ERRORS, NO_UNFURL, STREAM_ENDED, SlackDelivery, error_code
from bot.slack.delivery.reply import EMPTY_MESSAGE, message_body

log = logging.getLogger(__name__)


def _markdown(text: str) -> dict[str, Any]:
    return dict(MarkdownTextChunk(text=text).to_dict())


class StreamedReply:
    """A natively streamed message.

    Text Slack did not take stays owed and goes with the next call, so a 429 loses nothing.
    Once Slack has ended the stream (expiry, the user's Stop) the message is edited instead,
    and chat.update is only ever sent to a message known not to be streaming.
    """

    shows_tasks = True

    def __init__(self, delivery: SlackDelivery, channel: str, ts: str, shown: str) -> None:
        self._delivery = delivery
        self._channel = channel
        self._ts = ts
        self._text = shown  # everything handed to this message
        self._shown = shown  # what Slack confirmed
        self._ended = False  # Slack's side is no longer streaming
        self._stop_settled = False
        self._unsure = False  # a call failed in transit: what the message shows is unknown
        self.stopped_by_user = False  # the person pressed the stream's own Stop control

    @classmethod
    async def start(
        cls,
        delivery: SlackDelivery,
        *,
        channel: str,
        thread_ts: str,
        recipient_user_id: str | None,
        recipient_team_id: str | None,
        chunks: Sequence[Chunk],
        text: str = "",
    ) -> StreamedReply:
        """Open the stream; raises at once (without waiting for budget) when it cannot be opened.

        A stream is only opened while its stop (Tier 2, like the start) has room beside the stops
        already owed, so an answer is never left waiting long for its own end.
        """
        owed_stops = delivery.promised("chat.stopStream")
        if not delivery.has_room("chat.stopStream", reserve=owed_stops):
            delivery.counters.add("budget_refused:chat.stopStream")
            raise BudgetExhausted("chat.stopStream", delivery.budget.delay(delivery.team, "chat.stopStream"))
        args: dict[str, Any] = {"channel": channel, "thread_ts": thread_ts, "task_display_mode": "plan"}
        if recipient_user_id and recipient_team_id:
            args["recipient_user_id"] = recipient_user_id
            args["recipient_team_id"] = recipient_team_id
        sent = [dict(chunk.to_dict()) for chunk in chunks] + ([_markdown(text)] if text else [])
        if sent:
            args["chunks"] = sent
        response = await delivery.call("chat.startStream", args, wait=False)
        delivery.promise("chat.stopStream")
        return cls(delivery, channel, str(response["ts"]), text)

    @property
    def ts(self) -> str | None:
        return self._ts

    @property
    def write_method(self) -> str:
        return "chat.update" if self._ended else "chat.appendStream"

    async def append(self, text: str, *, wait: bool = True) -> None:
        if self._ended:
            reserve = self._delivery.promised("chat.update")
            await self._update(self._text + text, final=False, wait=wait, reserve=reserve)
            self._text += text
        elif not self._unsure:
            await self._send([], text, wait=wait)
        else:
            self._text += text

    async def task(self, chunk: Chunk) -> None:
        if not self._ended and not self._unsure:
            await self._send([dict(chunk.to_dict())], "")

    async def close(self, full_text: str, closing: Sequence[dict[str, Any]] = ()) -> None:
        closing = list(closing)
        stopped_here = False
        if not self._ended:
            known = not self._unsure and full_text.startswith(self._shown)
            stopped_here = await self._stop(full_text[len(self._shown) :] if known else "", closing)
            if stopped_here and known:
                self._shown = full_text
        if not self._ended:
            log.error("slack stream %s could not be finished; Slack will end it on expiry", self._ts)
        elif self._unsure or self._shown != full_text or (closing and not stopped_here):
            await self._update(full_text or EMPTY_MESSAGE, final=True, closing=closing)

    async def _send(self, extra: list[dict[str, Any]], text: str, *, wait: bool = True) -> None:
        owed = self._text[len(self._shown) :] + text
        chunks = ([_markdown(owed)] if owed else []) + extra
        if not chunks:
            return
        args = {"channel": self._channel, "ts": self._ts, "chunks": chunks}
        try:
            await self._delivery.call("chat.appendStream", args, wait=wait)
        except BudgetExhausted:
            raise  # nothing was sent: the caller keeps ``text``
        except DELIVERY_ERRORS as error:
            self._text += text
            self._failed("append", error)
            return
        self._text += text
        self._shown = self._text

    async def _stop(self, rest: str, closing: list[dict[str, Any]]) -> bool:
        args: dict[str, Any] = {"channel": self._channel, "ts": self._ts}
        if rest:
            args["chunks"] = [_markdown(rest)]
        if closing:
            args["blocks"] = closing  # rendered under the streamed content
        try:
            for _ in range(2):  # one more try for a stop lost in transit; a repeated stop is harmless
                try:
                    await self._delivery.call("chat.stopStream", args)
                except DELIVERY_ERRORS as error:
                    self._failed("stop", error)
                    if self._ended:
                        return False
                    continue
                self._end()
                return True
            return False  # given up: Slack ends the stream on expiry
        finally:
            self._settle_stop()

    def _end(self) -> None:
        self._ended = True
        self._settle_stop()

    def _settle_stop(self) -> None:
        # The stop promised when the stream opened is no longer owed.
        if not self._stop_settled:
            self._stop_settled = True
            self._delivery.fulfil("chat.stopStream")

    def _failed(self, what: str, error: BaseException) -> None:
        code = error_code(error)
        if code in STREAM_ENDED:
            self.stopped_by_user = self.stopped_by_user or code == "stopped_by_user"
            self._end()
            self._delivery.counters.add(f"stream_ended:{code}")
            log.info("slack ended stream %s (%s); finishing it with chat.update", self._ts, code)
        elif not isinstance(error, SlackApiError):  # in transit: Slack may have applied it
            self._unsure = True
            log.warning("slack stream %s failed in transit (%s)", what, code)
        else:
            log.warning("slack stream %s refused (%s); the text is kept for the next call", what, code)

    async def _update(
        self,
        text: str,
        *,
        final: bool,
        wait: bool = True,
        reserve: int = 0,
        closing: Sequence[dict[str, Any]] = (),
    ) -> None:
        body = message_body(text, closing)
        args = {"channel": self._channel, "ts": self._ts, **body, **NO_UNFURL}
        if not await self._delivery.rewrite(args, final=final, wait=wait, reserve=reserve):
            return
        self._shown = text
        self._unsure = False
