"""Render one run's events into a Slack thread, live, within the workspace's rate budget.

The thread shows a status at once (assistant.threads.setStatus), then the answer on the highest
rung of the delivery ladder Slack allows (``bot.slack.delivery.ladder``). Deltas are escaped
(``bot.slack.delivery.rendering``) and coalesced (``bot.slack.delivery.coalescer``) into as few
calls as the pacing and the budget ask for. Answers over Slack's 12,000-character markdown cap
continue in further replies, cut at paragraphs or code-block edges. Whatever fails on the way,
the thread ends up showing the whole escaped answer exactly once, followed by a warning when the
run failed. Below the stream rung, the message being written carries the options' controls (the
Stop button, ``bot.slack.listeners.stop``) until the run ends; a finished answer's last message
then carries the closing blocks (the feedback buttons): one message per answer, however it was
delivered.

In the Messages tab the thread is also an agent session (``bot.slack.delivery.session``): it is
``processing`` from the first event (Slack shows its own Stop), named after the thread's first
question, and ``active`` again once the answer has ended, however it ended. Tool steps read as
words in the status line ("Reading OPS-2…", ``bot.slack.delivery.status``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.messages.chunk import Chunk

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
from bot.slack.delivery.budget import BudgetExhausted
from bot.slack.delivery.coalescer import Coalescer, Pacing
from bot.slack.delivery.counters import Rung
from bot.slack.delivery.door import DELIVERY_ERRORS, SlackDelivery, error_code
from bot.slack.delivery.ladder import Ladder
from bot.slack.delivery.rendering import (
    AnswerText,
    ending,
    failure_note,
    first_status,
    plan_chunk,
    status_line,
    task_chunk,
)
from bot.slack.delivery.reply import Reply
from bot.slack.delivery.response_url import TOO_LONG_FOR_RESPONSE_URL, Respond
from bot.slack.delivery.session import AgentSession
from bot.slack.delivery.split import message_cut
from bot.slack.delivery.status import step_words
from bot.slack.delivery.stream import StreamedReply
from bot.store import Asker

log = logging.getLogger(__name__)

MESSAGE_LIMIT = 12_000  # Slack's cap on markdown_text per message
STATUS_RESERVE = 20  # setStatus slots kept for new threads' sign of life


@dataclass(frozen=True, slots=True)
class SinkOptions:
    """What a thread sink may use besides the thread itself."""

    respond: Respond | None = None  # a slash command's response_url: the rung below posting
    controls: Sequence[dict[str, Any]] = ()  # under a message still being written, below the stream
    closing: Sequence[dict[str, Any]] = ()  # under a finished answer, in its (last) message
    on_user_stop: Callable[[], object] | None = None  # called once Slack says the asker stopped the stream
    on_reply: Callable[[str], Awaitable[None]] | None = None  # told the ts of the answer's first message
    pacing: Pacing = field(default_factory=Pacing)
    message_limit: int = MESSAGE_LIMIT
    session: AgentSession | None = None  # the thread's agent session (Messages tab)
    title: str = ""  # the session's title: set on the thread's first question only


class SlackThreadSink:
    """A ``bot.ports.Sink`` that renders a run into its asker's thread, through ``door``."""

    def __init__(self, door: SlackDelivery, asker: Asker, options: SinkOptions | None = None) -> None:
        options = options or SinkOptions()
        self._door = door
        self._asker = asker
        self._limit = options.message_limit
        self._on_user_stop = options.on_user_stop
        self._on_reply = options.on_reply
        self._session = options.session
        self._title = options.title
        self._closing = list(options.closing)
        self._ending: list[dict[str, Any]] = []  # the closing blocks, once the answer has finished
        self._ladder = Ladder(door, asker, respond=options.respond, controls=options.controls)
        self._coalescer = Coalescer(
            options.pacing, method=self._next_method, ready=self._ready, write=self._write_interim
        )
        self._text = AnswerText()
        self._segment = ""  # escaped, belongs to the current message
        self._written = False
        self._reply: Reply | None = None
        self._reply_ts: str | None = None
        self._status_shown = False
        self._opened = False
        self._terminated = False
        self._stopping: asyncio.Future[None] | None = None  # the flusher's end, when the run is cut off
        self._lock = asyncio.Lock()  # one write to Slack at a time: the flusher's or an event's

    @property
    def reply_ts(self) -> str | None:
        """The ts of the bot's (first) reply message, once it exists."""
        return self._reply_ts

    @property
    def rung(self) -> Rung:
        """Where on the delivery ladder this thread is now."""
        return self._ladder.rung

    async def emit(self, event: WorkflowEvent) -> None:
        if self._terminated:
            return
        if not self._opened:
            await self._open(event)
        elif isinstance(event, StatusChanged) and event.status and not self._shows_tasks():
            await self._set_status(event.status)
        if isinstance(event, TextDelta):
            self._coalescer.add(self._text.feed(event.text))
        elif isinstance(event, ToolStarted | ToolFinished):
            await self._task(event)
        elif isinstance(event, Finished):
            await self._terminate(event.text, note="", closing=self._closing)
        elif isinstance(event, Failed | Interrupted):
            await self._terminate("", note=failure_note(event))

    async def aclose(self) -> None:
        """End the rendering if no terminal event came (it shows as interrupted)."""
        if not self._terminated:
            await self.emit(Interrupted())

    # -- opening: a sign of life at once ---------------------------------------------------

    async def _open(self, first: WorkflowEvent) -> None:
        self._opened = True
        if (run := asyncio.current_task()) is not None:
            run.add_done_callback(self._abandon)
        if self._session is not None:
            self._session.start(self._title)
        status = first_status(first)
        await self._set_status(status)
        async with self._lock:
            if self._ladder.rung == "stream":
                await self._adopt(await self._open_reply(chunks=[plan_chunk(status)], post_now=False))
            if self._ladder.rung == "post" and not self._status_shown:
                await self._adopt(await self._open_reply())  # no status: a placeholder shows we are on it
            await self._ladder.working()
        self._coalescer.start(f"slack-flush-{self._asker.thread_ts}")

    def _abandon(self, _run: asyncio.Task[Any]) -> None:
        """The run's task ended without a terminal event: cut off by a shutdown, to be resumed
        elsewhere, which retires this message. Nothing more is written, and the flusher stops."""
        if not self._terminated:
            self._terminated = True
            self._stopping = asyncio.ensure_future(self._stop_writing())

    async def _stop_writing(self) -> None:
        async with self._lock:  # never mid-call to Slack
            await self._coalescer.stop()

    async def _set_status(self, status: str, *, reserve: int = 0, words: str = "") -> None:
        # Best effort and never waiting: the status is a courtesy, the answer is what matters.
        asker = self._asker
        args: dict[str, Any] = {"channel_id": asker.channel, "thread_ts": asker.thread_ts}
        args["status"] = status_line(status)
        if words:  # already escaped: "Reading OPS-2…", shown as "is reading OPS-2…"
            args["status"] = f"is {words[:1].lower()}{words[1:]}"
            args["loading_messages"] = [words]
        try:
            await self._door.call("assistant.threads.setStatus", args, wait=False, reserve=reserve)
        except DELIVERY_ERRORS as error:
            log.info("slack setStatus skipped (%s)", error_code(error))
            return
        self._status_shown = True

    async def _open_reply(
        self,
        *,
        chunks: Sequence[Chunk] = (),
        text: str = "",
        post_now: bool = True,
        complete: bool = False,
        closing: Sequence[dict[str, Any]] = (),
    ) -> Reply | None:
        # Once the run has ended, nothing a new message shows is still coming: no controls.
        complete = complete or self._terminated
        return await self._ladder.open(
            chunks=chunks, text=text, post_now=post_now, complete=complete, closing=closing
        )

    async def _adopt(self, reply: Reply | None) -> None:
        self._reply = reply
        if self._reply_ts is None and reply is not None:
            self._reply_ts = reply.ts
            if self._on_reply is not None and reply.ts is not None:
                await self._on_reply(reply.ts)  # a resumed run finds, and retires, this message

    # -- text ------------------------------------------------------------------------------

    def _next_method(self) -> str | None:
        if self._reply is not None:
            method = self._reply.write_method
            return None if method == "response_url" else method
        if self._ladder.rung == "post" and not self._room_to_edit():
            return None  # the answer will be posted whole: no interim post to wait for a slot for
        return self._ladder.opening_method

    async def _ready(self, method: str) -> None:
        await self._door.ready(method, self._asker.channel)

    async def _write_interim(self) -> None:
        async with self._lock:
            await self._flush(interim=True)

    def _shows_tasks(self) -> bool:
        return self._reply is not None and self._reply.shows_tasks

    async def _flush(self, *, interim: bool = False) -> None:
        """Hand pending text to Slack, ending messages at good cuts; the caller holds the lock.

        An interim flush never queues for budget: when another message took the free slot the
        text stays pending for the next turn. So the final writes, which do queue, come first.
        """
        text = self._coalescer.take()
        while text and self._ladder.rung != "none":
            whole = self._segment + text
            if len(whole) <= self._limit:
                try:
                    await self._put(text, wait=not interim)
                except BudgetExhausted:
                    self._coalescer.keep(text)
                else:
                    self._coalescer.placed()
                return
            cut = message_cut(whole, self._limit)
            await self._end_message(cut.head(whole))
            text = cut.tail(whole)

    async def _put(self, text: str, *, wait: bool = True) -> None:
        if self._reply is None and not wait and self._ladder.rung == "post" and not self._room_to_edit():
            raise BudgetExhausted("chat.update", 0.0)  # hold the text; post it later, or whole
        if self._reply is None:
            # The last piece of a finished answer is posted whole, its closing blocks with it.
            await self._adopt(await self._open_reply(text=self._segment + text, closing=self._ending))
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
        return self._door.has_room("chat.update", reserve=self._door.promised("chat.update"))

    async def _end_message(self, head: str) -> None:
        """Make the current message show exactly ``head`` and start afresh after it."""
        last_use = self._ladder.on_last_response
        if last_use:
            # The response_url's last use: say that the rest did not fit, rather than lose it silently.
            head = head[: self._limit - len(TOO_LONG_FOR_RESPONSE_URL)] + TOO_LONG_FOR_RESPONSE_URL
            self._door.counters.add("response_url_truncated")
        if self._reply is None:
            await self._adopt(await self._open_reply(text=head, complete=True))
        if last_use:
            self._ladder.exhausted()  # opened first: on "none" there is no message to say it in
        if self._reply is not None:
            await self._reply.close(head)
        self._reply = None
        self._segment = ""

    # -- tools and the end -----------------------------------------------------------------

    async def _task(self, event: ToolStarted | ToolFinished) -> None:
        async with self._lock:
            if not self._shows_tasks():
                if isinstance(event, ToolStarted) and self._ladder.rung == "post":
                    # Steps show as the thread status, leaving room for other threads' first status.
                    await self._set_status("", reserve=STATUS_RESERVE, words=step_words(event))
                return
            await self._flush()  # keep text and tool steps in the order they happened
            if self._reply is not None:
                await self._reply.task(task_chunk(event))

    async def _terminate(self, final_text: str, *, note: str, closing: Sequence[dict[str, Any]] = ()) -> None:
        self._terminated = True
        self._ending = list(closing)
        async with self._lock:
            await self._coalescer.stop()  # with the lock held: never mid-call to Slack
            self._coalescer.add(self._text.rest(final_text))
            self._coalescer.add(ending(note, shown=self._written or bool(self._coalescer.pending)))
            await self._flush()
            if self._reply is not None:
                await self._reply.close(self._segment, self._ending)
        if self._session is not None:
            await self._session.done()  # after the answer: Slack's Stop goes once the run has ended
