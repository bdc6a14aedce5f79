"""Proposed writes shown below a run's answer, each as a message with Approve / Edit / Deny.

``ApprovalPreviews`` wraps a thread's sink: the answer is rendered as usual and, once the run
has ended, each ``ApprovalRequested`` it held back is posted in the thread. The clicks on those
buttons are handled by ``bot.slack.listeners.approvals``.
"""

from __future__ import annotations

import logging

from bot.approvals import ApprovalDesk
from bot.events import ApprovalRequested, WorkflowEvent, is_terminal
from bot.ports import Sink, SinkWrapper
from bot.slack.blocks import proposal_blocks, proposal_text
from bot.slack.delivery.door import DELIVERY_ERRORS, SlackDelivery, error_code
from bot.store import Asker

log = logging.getLogger(__name__)


class ApprovalPreviews(SinkWrapper):
    """Posts proposals after the run's answer, and passes everything else on."""

    def __init__(self, inner: Sink, door: SlackDelivery, desk: ApprovalDesk, asker: Asker) -> None:
        super().__init__(inner)
        self._door = door
        self._desk = desk
        self._asker = asker
        self._held: list[ApprovalRequested] = []

    async def emit(self, event: WorkflowEvent) -> None:
        if isinstance(event, ApprovalRequested):
            self._held.append(event)  # shown below the answer, once it is complete
            return
        await super().emit(event)
        if is_terminal(event):
            held, self._held = self._held, []
            for request in held:
                await self._post(request)

    async def _post(self, request: ApprovalRequested) -> None:
        channel = self._asker.channel
        record = await self._desk.approvals.get(request.approval_id)
        refusal = self._desk.refusal(request.user_id, channel) or ""
        blocks = proposal_blocks(
            approval_id=request.approval_id,
            tool=request.tool,
            preview=request.preview,
            user_id=request.user_id,
            allowed=request.allowed,
            refusal=refusal,
            expires_at=record.expires_at if record else None,
        )
        text = proposal_text(request.tool, request.preview)
        try:
            posted_ts = await self._door.post(channel, text, thread_ts=self._asker.thread_ts, blocks=blocks)
        except DELIVERY_ERRORS as exc:
            log.warning("could not post approval %s: %s", request.approval_id, error_code(exc))
            return
        await self._desk.approvals.set_message_ts(request.approval_id, posted_ts)
