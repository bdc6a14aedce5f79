"""Render one run's events into a Slack thread, live.

The answer streams into a native Slack stream (task cards for tool steps) or, where Slack
refuses to stream, into a posted message that is rewritten at most once per
``update_interval``. Deltas are escaped and coalesced: a background flusher sends them
every ``flush_interval`` (so text shows while the LLM pauses) or sooner once a few hundred
characters are waiting. Answers over Slack's 12,000-character markdown cap continue in
further replies. Whatever fails on the way, the thread ends up showing the whole escaped
answer exactly once, followed by a warning line when the run failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from slack_sdk.models.messages.chunk import Chunk, MarkdownTextChunk, PlanUpdateChunk, TaskUpdateChunk
from slack_sdk.web.async_client import AsyncWebClient

from bot.events import (
    Failed,
    Finished,
    Interrupted,
    StatusChanged,
    TextDelta,
    ToolFinished,
    ToolStarted,
    WorkflowEvent,
)
from bot.render import StreamEscaper, cut_index, escape
from bot.slack_reply import DELIVERY_ERRORS, EditedReply, Reply, StreamedReply, error_code

log = logging.getLogger(__name__)

MESSAGE_LIMIT = 12_000  # Slack's cap on markdown_text per message
FLUSH_CHARS = 400
NO_ANSWER = "_No answer was produced._"
WORKING = "Working on it"


class SlackThreadSink:
    """A ``bot.ports.Sink`` that renders a run into one Slack thread."""

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        channel: str,
        thread_ts: str,
        recipient_user_id: str | None = None,
        recipient_team_id: str | None = None,
        flush_interval: float = 0.6,
        update_interval: float = 1.0,
        message_limit: int = MESSAGE_LIMIT,
    ) -> None:
        self._client = client
        self._channel = channel
        self._thread_ts = thread_ts
        self._recipient_user_id = recipient_user_id
        self._recipient_team_id = recipient_team_id
        self._flush_interval = flush_interval
        self._update_interval = update_interval
        self._message_limit = message_limit
        self._escaper = StreamEscaper()
        self._raw = ""  # the deltas as received, to reconcile with Finished.text
        self._pending = ""  # escaped, not yet handed to Slack
        self._segment = ""  # escaped, belongs to the current reply
        self._written = False
        self._reply: Reply | None = None
        self._reply_ts: str | None = None
        self._streaming = True
        self._undeliverable = False
        self._opened = False
        self._terminated = False
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._flusher: asyncio.Task[None] | None = None
        self._last_flush = 0.0

    @property
    def reply_ts(self) -> str | None:
        """The ts of the bot's (first) reply message, once it exists."""
        return self._reply_ts

    async def emit(self, event: WorkflowEvent) -> None:
        if self._terminated:
            return
        if not self._opened:
            await self._open(event)
        if isinstance(event, TextDelta):
            self._queue(event.text)
        elif isinstance(event, ToolStarted):
            await self._task(event.call_id, event.summary or event.name, "in_progress")
        elif isinstance(event, ToolFinished):
            await self._task(event.call_id, event.summary or event.name, "complete" if event.ok else "error")
        elif isinstance(event, Finished):
            await self._terminate(extra=self._unstreamed(event.text), note="")
        elif isinstance(event, Failed | Interrupted):
            await self._terminate(extra="", note=f":warning: {escape(event.message)}")

    async def aclose(self) -> None:
        """End the rendering if no terminal event came (it shows as interrupted)."""
        if not self._terminated:
            await self.emit(Interrupted())

    # -- opening ---------------------------------------------------------------------------

    async def _open(self, first: WorkflowEvent) -> None:
        self._opened = True
        title = WORKING
        if isinstance(first, StatusChanged) and first.status:
            title = first.status[:1].upper() + first.status[1:]
            await self._set_status(first.status)
        async with self._lock:
            self._reply = await self._open_reply(chunks=[PlanUpdateChunk(title=escape(title))])
            self._reply_ts = self._reply.ts if self._reply else None
        self._last_flush = asyncio.get_running_loop().time()
        self._flusher = asyncio.create_task(self._flush_when_due(), name=f"slack-flush-{self._thread_ts}")

    async def _set_status(self, status: str) -> None:
        try:
            await self._client.assistant_threads_setStatus(
                channel_id=self._channel, thread_ts=self._thread_ts, status=f"is {status}…"
            )
        except DELIVERY_ERRORS as error:
            log.info("slack setStatus skipped (%s)", error_code(error))

    async def _open_reply(self, *, chunks: list[Chunk] | None = None, text: str = "") -> Reply | None:
        if self._streaming:
            opening: list[Chunk] = [MarkdownTextChunk(text=text)] if text else []
            try:
                return await StreamedReply.start(
                    self._client,
                    channel=self._channel,
                    thread_ts=self._thread_ts,
                    recipient_user_id=self._recipient_user_id,
                    recipient_team_id=self._recipient_team_id,
                    chunks=(chunks or []) + opening,
                )
            except DELIVERY_ERRORS as error:
                self._streaming = False
                log.info("slack refused a stream (%s); falling back to post and update", error_code(error))
        try:
            return await EditedReply.start(
                self._client, channel=self._channel, thread_ts=self._thread_ts, text=text
            )
        except DELIVERY_ERRORS as error:
            self._undeliverable = True
            log.error("slack refused a reply in %s (%s)", self._channel, error_code(error))
            return None

    # -- text ------------------------------------------------------------------------------

    def _queue(self, raw: str) -> None:
        self._raw += raw
        self._pending += self._escaper.feed(raw)
        if self._pending:
            self._wake.set()

    def _unstreamed(self, final_text: str) -> str:
        # Finished.text is the whole answer; only what the deltas did not carry is new.
        return final_text[len(self._raw) :] if final_text.startswith(self._raw) else ""

    async def _flush_when_due(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if not self._pending:
                self._wake.clear()
                await self._wake.wait()
            delay = self._last_flush + self._min_gap() - loop.time()
            if delay > 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await self._wake.wait()
                continue
            async with self._lock:
                await self._flush()

    def _min_gap(self) -> float:
        edit_gap = 0.0 if self._streaming else self._update_interval
        if len(self._pending) >= FLUSH_CHARS:
            return edit_gap
        return max(self._flush_interval, edit_gap)

    async def _flush(self) -> None:
        """Hand pending text to Slack; the caller holds the lock."""
        text, self._pending = self._pending, ""
        self._last_flush = asyncio.get_running_loop().time()
        while text and not self._undeliverable:
            cut = self._cut(text)
            head, text = text[:cut], text[cut:]
            if head:
                await self._put(head)
            if text:
                await self._next_message()

    def _cut(self, text: str) -> int:
        """How much of ``text`` still fits in the current message, ending at a natural break."""
        room = self._message_limit - len(self._segment)
        if len(text) <= room:
            return len(text)
        # Judge breaks over the whole message, so it can end at a paragraph that was sent earlier
        # in this flush's text rather than at whatever space is nearest the cap.
        cut = cut_index(self._segment + text, self._message_limit) - len(self._segment)
        return cut if cut > 0 else cut_index(text, room)

    async def _put(self, text: str) -> None:
        self._segment += text
        self._written = True
        if self._reply is None:
            self._reply = await self._open_reply(text=text)
        else:
            await self._reply.append(text)

    async def _next_message(self) -> None:
        if self._reply is not None:
            await self._reply.close(self._segment)
        self._reply = None
        self._segment = ""

    # -- tools and the end -----------------------------------------------------------------

    async def _task(self, call_id: str, title: str, status: str) -> None:
        async with self._lock:
            if self._reply is None or not self._reply.shows_tasks:
                return
            await self._flush()  # keep text and tool steps in the order they happened
            if self._reply is not None:
                await self._reply.task(TaskUpdateChunk(id=call_id, title=escape(title), status=status))

    async def _terminate(self, *, extra: str, note: str) -> None:
        self._terminated = True
        async with self._lock:
            await self._stop_flusher()
            self._pending += self._escaper.feed(extra) + self._escaper.flush()
            if note:
                self._pending += ("\n\n" if self._written or self._pending else "") + note
            if not self._written and not self._pending:
                self._pending = NO_ANSWER
            await self._flush()
            if self._reply is not None:
                await self._reply.close(self._segment)

    async def _stop_flusher(self) -> None:
        # Called with the lock held, so the flusher is never cancelled mid-call to Slack.
        if self._flusher is None:
            return
        flusher, self._flusher = self._flusher, None
        flusher.cancel()
        try:
            await flusher
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("slack flusher for %s crashed; finishing without it", self._thread_ts)
