"""Render one run's events into a Slack thread, live, within the workspace's rate budget.

The thread shows a status at once (assistant.threads.setStatus), then the answer on the
highest rung of the delivery ladder Slack allows: a native stream with task cards for tool
steps; else a posted message rewritten at most once per ``update_interval``; else (a slash
command where the bot cannot post) the command's response_url. Each step down is logged and
counted. Deltas are escaped and coalesced: a background flusher sends them once the message's
update interval has passed and the method's budget has a slot, so while a slot is awaited the
text piles up into one call. Answers over Slack's 12,000-character markdown cap continue in
further replies, cut at paragraphs or code-block edges. Whatever fails on the way, the thread
ends up showing the whole escaped answer exactly once, followed by a warning when the run failed.
Below the stream rung, the message being written carries a Stop button (``bot.slack.listeners.stop``)
until the run ends; the stream has Slack's own Stop control.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from slack_sdk.models.messages.chunk import Chunk, PlanUpdateChunk, TaskUpdateChunk
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
from bot.slack.delivery.budget import BudgetExhausted, SlackBudget
from bot.slack.delivery.counters import Rung
from bot.slack.delivery.door import DELIVERY_ERRORS, SlackDelivery, error_code, next_rung
from bot.slack.delivery.reply import (
    TOO_LONG_FOR_RESPONSE_URL,
    EditedReply,
    Reply,
    Respond,
    ResponseUrl,
    ResponseUrlReply,
    StreamedReply,
)
from bot.slack.delivery.split import message_cut
from bot.slack.listeners.stop import stop_blocks
from bot.text.render import StreamEscaper, escape

log = logging.getLogger(__name__)

MESSAGE_LIMIT = 12_000  # Slack's cap on markdown_text per message
FLUSH_CHARS = 400
NO_ANSWER = "_No answer was produced._"
WORKING = "working on it"
MIN_RETRY_GAP = 0.05  # seconds before an interim write that found no budget is tried again
STATUS_RESERVE = 20  # setStatus slots kept for new threads' sign of life
# The method that creates the next message on each rung, when there is none yet.
_OPENING_METHOD: dict[Rung, str | None] = {
    "stream": None,  # a stream start never waits: no slot means step down to post
    "post": "chat.postMessage",
    "response_url": None,
    "none": None,
}


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
        team_id: str | None = None,
        budget: SlackBudget | None = None,
        respond: Respond | None = None,
        flush_interval: float = 0.6,
        update_interval: float = 1.0,
        message_limit: int = MESSAGE_LIMIT,
        on_user_stop: Callable[[], object] | None = None,
        stop_run_id: Callable[[], str | None] | None = None,
    ) -> None:
        self._on_user_stop = on_user_stop  # called once when Slack says the person stopped the stream
        # The run a Stop button cancels; asked when a message is opened, as the run exists only
        # after this sink is built. None: no button (the native stream has Slack's own Stop).
        self._stop_run_id = stop_run_id
        self._delivery = SlackDelivery(client, team=team_id or recipient_team_id or "", budget=budget)
        self._channel = channel
        self._thread_ts = thread_ts
        self._recipient_user_id = recipient_user_id
        self._recipient_team_id = recipient_team_id
        self._url = ResponseUrl(respond) if respond is not None else None
        self._flush_interval = flush_interval
        self._update_interval = update_interval
        self._message_limit = message_limit
        self._escaper = StreamEscaper()
        self._raw = ""  # the deltas as received, to reconcile with Finished.text
        self._pending = ""  # escaped, not yet handed to Slack
        self._segment = ""  # escaped, belongs to the current message
        self._written = False
        self._rung: Rung = "stream"
        self._reply: Reply | None = None
        self._reply_ts: str | None = None
        self._status_shown = False
        self._opened = False
        self._terminated = False
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._flusher: asyncio.Task[None] | None = None
        self._last_flush = float("-inf")
        self._deferred = False  # the last interim write found no budget

    @property
    def reply_ts(self) -> str | None:
        """The ts of the bot's (first) reply message, once it exists."""
        return self._reply_ts

    @property
    def rung(self) -> Rung:
        """Where on the delivery ladder this thread is now."""
        return self._rung

    async def emit(self, event: WorkflowEvent) -> None:
        if self._terminated:
            return
        if not self._opened:
            await self._open(event)
        elif isinstance(event, StatusChanged) and event.status and not self._shows_tasks():
            await self._set_status(event.status)
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

    # -- opening: a sign of life at once ---------------------------------------------------

    async def _open(self, first: WorkflowEvent) -> None:
        self._opened = True
        status = first.status if isinstance(first, StatusChanged) and first.status else WORKING
        await self._set_status(status)
        async with self._lock:
            if self._rung == "stream":
                title = escape(status[:1].upper() + status[1:])
                self._adopt(await self._open_reply(chunks=[PlanUpdateChunk(title=title)], post_now=False))
            if self._rung == "post" and not self._status_shown:
                self._adopt(await self._open_reply())  # no status: a placeholder shows we are on it
            if self._rung == "response_url" and self._url is not None:
                await self._url.working(self._stop_controls())
        self._flusher = asyncio.create_task(self._flush_when_due(), name=f"slack-flush-{self._thread_ts}")

    async def _set_status(self, status: str, *, reserve: int = 0) -> None:
        # Best effort and never waiting: the status is a courtesy, the answer is what matters.
        args = {"channel_id": self._channel, "thread_ts": self._thread_ts, "status": f"is {escape(status)}…"}
        try:
            await self._delivery.call("assistant.threads.setStatus", args, wait=False, reserve=reserve)
        except DELIVERY_ERRORS as error:
            log.info("slack setStatus skipped (%s)", error_code(error))
            return
        self._status_shown = True

    async def _open_reply(
        self,
        *,
        chunks: list[Chunk] | None = None,
        text: str = "",
        post_now: bool = True,
        complete: bool = False,
    ) -> Reply | None:
        """A new message on the highest rung that works, stepping down on the refusals that call for it.

        With ``post_now=False`` a step down to post stops there: the message is posted later,
        with text, rather than as a placeholder that costs an update. A ``complete`` message
        (or any once the run has ended) has no Stop button: nothing it shows is still coming.
        """
        while post_now or self._rung != "post":
            try:
                return await self._start_on_rung(chunks or [], text, complete or self._terminated)
            except DELIVERY_ERRORS as error:
                self._step_down(error_code(error))
        return None

    def _stop_controls(self) -> list[dict[str, Any]]:
        run_id = self._stop_run_id() if self._stop_run_id is not None else None
        return stop_blocks(run_id) if run_id else []

    async def _start_on_rung(self, chunks: list[Chunk], text: str, complete: bool) -> Reply | None:
        if self._rung == "stream":
            return await StreamedReply.start(
                self._delivery,
                channel=self._channel,
                thread_ts=self._thread_ts,
                recipient_user_id=self._recipient_user_id,
                recipient_team_id=self._recipient_team_id,
                chunks=chunks,
                text=text,
            )
        if self._rung == "post":
            return await EditedReply.start(
                self._delivery,
                channel=self._channel,
                thread_ts=self._thread_ts,
                text=text,
                controls=[] if complete else self._stop_controls(),
            )
        if self._rung == "response_url" and self._url is not None:
            return ResponseUrlReply(self._url)
        return None

    def _step_down(self, code: str) -> None:
        to_rung = next_rung(self._rung, code)
        if to_rung == "response_url" and self._url is None:
            to_rung = "none"
        self._delivery.step_down(self._rung, to_rung, code, self._channel)
        self._rung = to_rung

    def _adopt(self, reply: Reply | None) -> None:
        self._reply = reply
        if self._reply_ts is None and reply is not None:
            self._reply_ts = reply.ts

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
            method = self._next_method()
            if method is not None:
                await self._delivery.ready(method, self._channel)  # text keeps piling up meanwhile
            async with self._lock:
                await self._flush(interim=True)

    def _min_gap(self) -> float:
        if self._deferred:
            return max(self._update_interval, self._flush_interval, MIN_RETRY_GAP)
        # Edits of one message at most once per update interval; stream appends are cheap (Tier 4,
        # budgeted per workspace) and a message's first write goes at once.
        editing = self._reply is not None and self._reply.write_method == "chat.update"
        gap = self._update_interval if editing else 0.0
        if len(self._pending) >= FLUSH_CHARS:
            return gap
        return max(self._flush_interval, gap)

    def _next_method(self) -> str | None:
        if self._reply is not None:
            method = self._reply.write_method
            return None if method == "response_url" else method
        return _OPENING_METHOD[self._rung]

    def _shows_tasks(self) -> bool:
        return self._reply is not None and self._reply.shows_tasks

    async def _flush(self, *, interim: bool = False) -> None:
        """Hand pending text to Slack, ending messages at good cuts; the caller holds the lock.

        An interim flush never queues for budget: when another message took the free slot the
        text stays pending for the next turn. So the final writes, which do queue, come first.
        """
        text, self._pending = self._pending, ""
        self._last_flush = asyncio.get_running_loop().time()
        while text and self._rung != "none":
            whole = self._segment + text
            if len(whole) <= self._message_limit:
                try:
                    await self._put(text, wait=not interim)
                except BudgetExhausted:
                    self._pending = text + self._pending
                    self._deferred = True  # try again after an interval, not in a tight loop
                else:
                    self._deferred = False
                return
            cut = message_cut(whole, self._message_limit)
            await self._end_message(cut.head(whole))
            text = cut.tail(whole)

    async def _put(self, text: str, *, wait: bool = True) -> None:
        if self._reply is None and not wait and self._rung == "post" and not self._room_to_edit():
            raise BudgetExhausted("chat.update", 0.0)  # hold the text; post it later, or whole
        if self._reply is None:
            self._adopt(await self._open_reply(text=self._segment + text))
        else:
            await self._reply.append(text, wait=wait)
            self._notice_user_stop()
        self._segment += text
        self._written = True

    def _notice_user_stop(self) -> None:
        if isinstance(self._reply, StreamedReply) and self._reply.stopped_by_user and self._on_user_stop:
            on_user_stop, self._on_user_stop = self._on_user_stop, None
            on_user_stop()  # the run is cancelled; its Interrupted event finishes this message

    def _room_to_edit(self) -> bool:
        # A message posted before its answer is complete owes a final chat.update (Tier 3, shared
        # by the workspace). When the owed updates already fill the bucket, post later instead:
        # a message posted whole needs no update at all.
        return self._delivery.has_room("chat.update", reserve=self._delivery.promised("chat.update"))

    async def _end_message(self, head: str) -> None:
        """Make the current message show exactly ``head`` and start afresh after it."""
        last_use = self._rung == "response_url" and self._url is not None and self._url.left <= 1
        if last_use:
            # The response_url's last use: say that the rest did not fit, rather than lose it silently.
            head = head[: self._message_limit - len(TOO_LONG_FOR_RESPONSE_URL)] + TOO_LONG_FOR_RESPONSE_URL
            self._delivery.counters.add("response_url_truncated")
        if self._reply is None:
            self._adopt(await self._open_reply(text=head, complete=True))
        if last_use:
            self._rung = "none"  # opened first: on "none" there is no message to say it in
        if self._reply is not None:
            await self._reply.close(head)
        self._reply = None
        self._segment = ""

    # -- tools and the end -----------------------------------------------------------------

    async def _task(self, call_id: str, title: str, status: str) -> None:
        async with self._lock:
            if self._reply is None or not self._reply.shows_tasks:
                if status == "in_progress" and self._rung == "post":
                    # Steps show as the thread status, leaving room for other threads' first status.
                    await self._set_status(f"running {title}", reserve=STATUS_RESERVE)
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
