"""One bot message in a Slack thread that grows as the answer arrives.

Two ways to grow it: ``StreamedReply`` uses Slack's native streaming (chat.startStream /
appendStream / stopStream through the SDK's ``chat_stream``); ``EditedReply`` posts a
placeholder and rewrites it with chat.update where streaming is refused. Either way,
``close(full_text)`` guarantees the message finally shows exactly ``full_text``.
Text is already escaped when it gets here.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Protocol

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.models.messages.chunk import Chunk, MarkdownTextChunk
from slack_sdk.web.async_chat_stream import AsyncChatStream
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

PLACEHOLDER = "_Working on it…_"
EMPTY_MESSAGE = "…"

# What a failed Slack call can raise once the SDK's own retries are used up.
DELIVERY_ERRORS = (SlackClientError, aiohttp.ClientError, TimeoutError)

# Never let Slack expand links or ping names in bot output.
_NO_UNFURL: dict[str, Any] = {"unfurl_links": False, "unfurl_media": False}


class Reply(Protocol):
    """A bot message in a thread that can grow and be finalised."""

    @property
    def ts(self) -> str | None: ...

    @property
    def shows_tasks(self) -> bool: ...

    async def append(self, text: str) -> None: ...

    async def task(self, chunk: Chunk) -> None: ...

    async def close(self, full_text: str) -> None: ...


def error_code(error: BaseException) -> str:
    """A short, secret-free description of a failed Slack call, for logs."""
    if isinstance(error, SlackApiError):
        return str(error.response.get("error", "unknown_error"))
    return type(error).__name__


class StreamedReply:
    """A natively streamed message. Appends are best effort; ``close`` repairs what they missed."""

    shows_tasks = True

    def __init__(self, stream: AsyncChatStream, client: AsyncWebClient, channel: str) -> None:
        self._stream = stream
        self._client = client
        self._channel = channel
        self._broken = False

    @classmethod
    async def start(
        cls,
        client: AsyncWebClient,
        *,
        channel: str,
        thread_ts: str,
        recipient_user_id: str | None,
        recipient_team_id: str | None,
        chunks: Sequence[Chunk],
    ) -> StreamedReply:
        """Open the stream with ``chunks``; raises when Slack refuses to stream here."""
        stream = await client.chat_stream(
            channel=channel,
            thread_ts=thread_ts,
            recipient_user_id=recipient_user_id,
            recipient_team_id=recipient_team_id,
            task_display_mode="plan",
            buffer_size=1,  # the sink coalesces; the SDK should send what it is given
        )
        await stream.append(chunks=list(chunks))
        return cls(stream, client, channel)

    @property
    def ts(self) -> str | None:
        return self._stream.ts

    async def append(self, text: str) -> None:
        # Passed as a chunk, not markdown_text, so a failed call leaves nothing in the SDK's
        # buffer to be resent (and duplicated) by a later call.
        await self._send(MarkdownTextChunk(text=text))

    async def task(self, chunk: Chunk) -> None:
        await self._send(chunk)

    async def close(self, full_text: str) -> None:
        stopped = await self._stop()
        if self._broken or not stopped:
            await self._rewrite(full_text)

    async def _send(self, chunk: Chunk) -> None:
        if self._broken:
            return
        try:
            await self._stream.append(chunks=[chunk])
        except DELIVERY_ERRORS as error:
            self._broken = True
            log.warning("slack stream append failed (%s); finishing with chat.update", error_code(error))

    async def _stop(self) -> bool:
        try:
            await self._stream.stop()
        except DELIVERY_ERRORS as error:
            log.warning("slack stream stop failed (%s)", error_code(error))
            return False
        return True

    async def _rewrite(self, full_text: str) -> None:
        ts = self.ts
        if ts is None:
            return
        for attempt in range(2):
            try:
                await self._client.chat_update(
                    channel=self._channel, ts=ts, markdown_text=full_text or EMPTY_MESSAGE, **_NO_UNFURL
                )
                return
            except DELIVERY_ERRORS as error:
                if attempt == 0 and error_code(error) == "streaming_state_conflict":
                    await self._stop()  # still streaming after a failed append: end it, then edit
                    continue
                log.error("slack could not finalise message %s (%s)", ts, error_code(error))
                return


class EditedReply:
    """A posted message rewritten in place; the sink throttles how often ``append`` is called."""

    shows_tasks = False

    def __init__(self, client: AsyncWebClient, channel: str, ts: str, text: str) -> None:
        self._client = client
        self._channel = channel
        self._ts = ts
        self._text = text

    @classmethod
    async def start(cls, client: AsyncWebClient, *, channel: str, thread_ts: str, text: str) -> EditedReply:
        """Post the message (a placeholder when ``text`` is empty); raises when posting fails."""
        response = await client.chat_postMessage(
            channel=channel, thread_ts=thread_ts, markdown_text=text or PLACEHOLDER, **_NO_UNFURL
        )
        return cls(client, channel, str(response["ts"]), text)

    @property
    def ts(self) -> str | None:
        return self._ts

    async def append(self, text: str) -> None:
        self._text += text
        await self._update(self._text, final=False)

    async def task(self, chunk: Chunk) -> None:
        return None

    async def close(self, full_text: str) -> None:
        await self._update(full_text or EMPTY_MESSAGE, final=True)

    async def _update(self, text: str, *, final: bool) -> None:
        try:
            await self._client.chat_update(
                channel=self._channel, ts=self._ts, markdown_text=text, **_NO_UNFURL
            )
        except DELIVERY_ERRORS as error:
            level = logging.ERROR if final else logging.WARNING
            log.log(level, "slack chat.update of %s failed (%s)", self._ts, error_code(error))
