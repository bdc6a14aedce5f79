"""A run's Slack sink chain, built in one place once the run exists, so it knows the run's id.

The thread sink renders the answer; around it, innermost first: the footer under the answer
(``footer``), the feedback buttons after it (``feedback``), the proposed
writes below it all (``proposals``). All write through one door, in the asker's workspace.
Every run's chain is also metered, outermost, by the dispatcher (``bot.metrics``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk.web.async_client import AsyncWebClient

from bot.approvals import ApprovalDesk
from bot.ports import Sink
from bot.slack.blocks import stop_blocks
from bot.slack.delivery.door import SlackDelivery
from bot.slack.delivery.feedback import FeedbackSink
from bot.slack.delivery.footer import FooterSink
from bot.slack.delivery.proposals import ApprovalPreviews
from bot.slack.delivery.response_url import Respond
from bot.slack.delivery.sink import SinkOptions, SlackThreadSink
from bot.store import Asker


@dataclass(frozen=True)
class SlackChain:
    """What a run's answer in ``asker``'s thread comes with; called with the run's id (a
    ``bot.ports.SinkFactory``), it builds the chain."""

    client: AsyncWebClient
    asker: Asker
    desk: ApprovalDesk | None = None  # proposed writes go below the answer, with their buttons
    footer: bool = False
    feedback: bool = False
    stop: Callable[[str], object] | None = None  # cancels a run: its Stop button and Slack's own Stop
    respond: Respond | None = None  # a slash command's response_url, the ladder's last rung

    def __call__(self, run_id: str) -> Sink:
        door = SlackDelivery(self.client, team=self.asker.team_id)
        sink: Sink = SlackThreadSink(door, self.asker, self._options(run_id))
        if self.footer:
            sink = FooterSink(sink)
        if self.feedback:
            sink = FeedbackSink(sink, door, self.asker, run_id)
        if self.desk is not None:
            sink = ApprovalPreviews(sink, door, self.desk, self.asker)
        return sink

    def _options(self, run_id: str) -> SinkOptions:
        stop = self.stop
        if stop is None:
            return SinkOptions(respond=self.respond)
        # Slack shows the stream's own Stop to the asker alone; below the stream, a button for them.
        controls = stop_blocks(run_id)
        return SinkOptions(respond=self.respond, controls=controls, on_user_stop=lambda: stop(run_id))
