"""One bot message that grows as the answer arrives, on one rung of the delivery ladder.

``StreamedReply`` uses Slack's native streaming (chat.startStream / appendStream / stopStream);
``EditedReply`` posts a message and rewrites it with chat.update; ``ResponseUrlReply`` answers
through a slash command's response_url where the bot cannot post at all. Either way,
``close(full_text)`` leaves the message showing exactly ``full_text``. Every call goes through
``SlackDelivery`` (and so through the workspace's budget). Text is already escaped here.
Below the stream, a message still being written may carry controls (the Stop button) under
its text, which then goes as a ``markdown`` block; its final write leaves the text alone.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Protocol

from slack_sdk.errors import SlackApiError
from slack_sdk.models.messages.chunk import Chunk, MarkdownTextChunk

from bot.slack.delivery.budget import BudgetExhausted
from bot.slack.delivery.door import DELIVERY_ERRORS as DELIVERY_ERRORS  # re-exported: other senders use them
from bot.slack.delivery.door import STREAM_ENDED, SlackDelivery
from bot.slack.delivery.door import error_code as error_code

log = logging.getLogger(__name__)

PLACEHOLDER = "_Working on it…_"
EMPTY_MESSAGE = "…"
RESPONSE_URL_USES = 5  # Slack accepts five responses per response_url
TOO_LONG_FOR_RESPONSE_URL = "\n\n_(The rest did not fit; invite me to the channel and ask again.)_"

# Never let Slack expand links or ping names in bot output.
NO_UNFURL: dict[str, Any] = {"unfurl_links": False, "unfurl_media": False}


class Reply(Protocol):
    """A bot message in a thread that can grow and be finalised."""

    @property
    def ts(self) -> str | None: ...

    @property
    def shows_tasks(self) -> bool: ...

    @property
    def write_method(self) -> str:
        """The Web API method the next ``append`` will use (to wait for its budget)."""
        ...

    async def append(self, text: str, *, wait: bool = True) -> None:
        """Add ``text``. With ``wait=False`` an interim write that finds no free slot raises
        ``BudgetExhausted`` and changes nothing, so the caller keeps the text for later."""
        ...

    async def task(self, chunk: Chunk) -> None: ...

    async def close(self, full_text: str) -> None: ...


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


def _markdown(text: str) -> dict[str, Any]:
    return dict(MarkdownTextChunk(text=text).to_dict())


def _body(text: str, controls: Sequence[dict[str, Any]], *, blocks: bool) -> dict[str, Any]:
    """A message's content: ``markdown_text``, or (for a message with controls) a markdown block
    with the controls under it and ``text`` as the notification fallback."""
    if not blocks:
        return {"markdown_text": text}
    return {"text": text, "blocks": [{"type": "markdown", "text": text}, *controls]}


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

    async def close(self, full_text: str) -> None:
        if not self._ended:
            known = not self._unsure and full_text.startswith(self._shown)
            if await self._stop(full_text[len(self._shown) :] if known else "") and known:
                self._shown = full_text
        if not self._ended:
            log.error("slack stream %s could not be finished; Slack will end it on expiry", self._ts)
        elif self._unsure or self._shown != full_text:
            await self._update(full_text or EMPTY_MESSAGE, final=True)

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

    async def _stop(self, rest: str) -> bool:
        args: dict[str, Any] = {"channel": self._channel, "ts": self._ts}
        if rest:
            args["chunks"] = [_markdown(rest)]
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

    async def _update(self, text: str, *, final: bool, wait: bool = True, reserve: int = 0) -> None:
        args = {"channel": self._channel, "ts": self._ts, "markdown_text": text, **NO_UNFURL}
        try:
            await self._delivery.call("chat.update", args, wait=wait, reserve=reserve)
        except BudgetExhausted:
            raise
        except DELIVERY_ERRORS as error:
            level = logging.ERROR if final else logging.WARNING
            log.log(level, "slack chat.update of %s failed (%s)", self._ts, error_code(error))
            return
        self._shown = text
        self._unsure = False


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
        try:
            await self._delivery.call("chat.update", args, wait=wait, reserve=reserve)
        except BudgetExhausted:
            raise
        except DELIVERY_ERRORS as error:
            level = logging.ERROR if final else logging.WARNING
            log.log(level, "slack chat.update of %s failed (%s)", self._ts, error_code(error))
            return
        self._shown = text
        self._controls_shown = not final and bool(self._controls)


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

    async def close(self, full_text: str) -> None:
        await self._url.say(full_text or EMPTY_MESSAGE)
