"""The feedback buttons under a finished answer, posted by a sink wrapper once the run is finished.

The buttons go in a message of their own right after the answer: the answer's message belongs
to the stream (or the edited reply) and its final write must not wait on this. The clicks are
answered by ``bot.slack.listeners.feedback``.
"""

from __future__ import annotations

import logging

from bot.events import Finished, WorkflowEvent
from bot.ports import Sink, SinkWrapper
from bot.slack.blocks import PROMPT, feedback_blocks
from bot.slack.delivery.door import DELIVERY_ERRORS, SlackDelivery, error_code
from bot.store import Asker

log = logging.getLogger(__name__)


class FeedbackSink(SinkWrapper):
    """Posts the feedback buttons for run ``run_id`` in the asker's thread once its answer is finished."""

    def __init__(self, inner: Sink, door: SlackDelivery, asker: Asker, run_id: str) -> None:
        super().__init__(inner)
        self._door = door
        self._asker = asker
        self._run_id = run_id

    async def emit(self, event: WorkflowEvent) -> None:
        await super().emit(event)
        if isinstance(event, Finished):
            await self._post()

    async def _post(self) -> None:
        channel, thread_ts = self._asker.channel, self._asker.thread_ts
        try:
            await self._door.post(channel, PROMPT, thread_ts=thread_ts, blocks=feedback_blocks(self._run_id))
        except DELIVERY_ERRORS as exc:  # a courtesy: the answer is already there
            log.info("feedback buttons not posted: %s", error_code(exc))
