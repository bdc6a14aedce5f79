"""A run's Slack sink chain, built in one place once the run exists, so it knows the run's id.

The thread sink renders the answer, with the feedback buttons in its own last message; around it,
innermost first: the footer line at the end of the answer (``footer``), the proposed writes
below it all (``proposals``). All write through one door, in the asker's workspace.
Every run's chain is also metered, outermost, by the runs (``bot.metrics``).

``SlackSinks`` is the Slack edge's ``bot.ports.SinkRouter``: a durable run carries only its
``Origin``, and whichever process runs it (the one that took the question, or the one that
resumes it after a crash) rebuilds the chain from it here.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.approvals import ApprovalDesk
from bot.ports import Origin, Sink, SinkFactory
from bot.slack.blocks import feedback_blocks, stop_blocks
from bot.slack.delivery.door import SlackDelivery
from bot.slack.delivery.footer import FooterSink
from bot.slack.delivery.proposals import ApprovalPreviews
from bot.slack.delivery.response_url import Respond
from bot.slack.delivery.session import AgentSession
from bot.slack.delivery.sink import SinkOptions, SlackThreadSink
from bot.store import Asker, Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SlackChain:
    """What a run's answer in ``asker``'s thread comes with; called with the run's id (a
    ``bot.ports.SinkFactory``), it builds the chain."""

    client: AsyncWebClient
    asker: Asker
    desk: ApprovalDesk | None = None  # proposed writes go below the answer, with their buttons
    footer: bool = False
    feedback: bool = False  # 👍 / 👎 and Details under the finished answer, in its message
    stop: Callable[[str], object] | None = None  # cancels a run: its Stop button and Slack's own Stop
    respond: Respond | None = None  # a slash command's response_url, the ladder's last rung
    on_reply: Callable[[str, str], Awaitable[None]] | None = None  # (run id, ts of its answer)
    session: bool = False  # the thread is an agent session (Messages tab): status, title, Slack's Stop
    title: str = ""  # the session's title, for a thread's first question

    def __call__(self, run_id: str) -> Sink:
        door = SlackDelivery(self.client, team=self.asker.team_id)
        options = self._options(run_id)
        if self.session:
            session = AgentSession(door, self.asker.channel, self.asker.thread_ts)
            options = replace(options, session=session, title=self.title)
        sink: Sink = SlackThreadSink(door, self.asker, options)
        if self.footer:
            sink = FooterSink(sink)
        if self.desk is not None:
            sink = ApprovalPreviews(sink, door, self.desk, self.asker)
        return sink

    def _options(self, run_id: str) -> SinkOptions:
        stop, on_reply = self.stop, self.on_reply
        recorded = (lambda ts: on_reply(run_id, ts)) if on_reply is not None else None
        closing = feedback_blocks(run_id) if self.feedback else []
        if stop is None:
            return SinkOptions(respond=self.respond, closing=closing, on_reply=recorded)
        # Slack shows the stream's own Stop to the asker alone; below the stream, a button for them.
        return SinkOptions(
            respond=self.respond,
            controls=stop_blocks(run_id),
            closing=closing,
            on_user_stop=lambda: stop(run_id),
            on_reply=recorded,
        )


@dataclass(frozen=True)
class SlackSinks:
    """Rebuilds a run's Slack chain from its ``Origin`` (a ``bot.ports.SinkRouter``)."""

    client: AsyncWebClient
    store: Store
    desk: ApprovalDesk | None = None
    stop: Callable[[str], object] | None = None  # stops a run this process renders

    def sinks(self, origin: Origin) -> SinkFactory:
        asker = Asker(origin.team_id, origin.user_id, origin.channel_id, origin.thread_ts)
        respond = AsyncRespond(response_url=origin.response_url) if origin.response_url else None
        return SlackChain(
            self.client,
            asker,
            desk=self.desk if origin.desk else None,
            footer=origin.footer,
            feedback=origin.feedback,
            stop=self.stop if origin.stop else None,
            respond=respond,
            on_reply=self._record_reply,
            session=origin.agent_session,
            title=origin.session_title,
        )

    async def _record_reply(self, run_id: str, ts: str) -> None:
        # Only a resumed run needs it (to retire this message): never worth losing the answer over.
        try:
            await self.store.set_reply_ts(run_id, ts)
        except Exception:
            log.warning("could not record message %s of run %s", ts, run_id, exc_info=True)

    async def retire(self, origin: Origin, run_id: str) -> None:
        """Delete the half-written answer of a run's interrupted attempt: the resumed run answers anew."""
        run = await self.store.get_run(run_id)
        if run is not None and run.reply_ts:
            await SlackDelivery(self.client, team=origin.team_id).remove(origin.channel_id, run.reply_ts)
