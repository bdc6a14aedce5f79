"""Write requests: a write an MCP client asks for waits for an approval in Slack.

The call is filed as an approval (origin ``mcp``) with a card in MCP_APPROVAL_CHANNEL, unless the
same client asked for the same tool with the same arguments a moment ago: then it joins that
approval (``request_key``), so a client re-sending a call after a dropped stream gets one card
and one write. The click arrives at `chatops serve`, whose approval desk decides and makes the
write; this process learns the outcome from the shared database, polling about once a second
for a bounded time (holding a call open for minutes is fragile), with progress notifications
meanwhile. If nobody has decided by then the call answers "pending" with the approval id, and
``approval_status`` tells the outcome later. An approval past its time is expired here.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from bot.mcp.journal import CallJournal, call_id
from bot.store import ApprovalRecord, Approvals, Asker, Proposal

log = logging.getLogger(__name__)

WAIT_SECONDS = 45.0  # under the 60 s many clients allow a call, progress or not
POLL_SECONDS = 1.0

Progress = Callable[[float, float, str], Awaitable[None]]  # (done, total, message)


class CardNotPosted(Exception):
    """Slack refused the approval card (its error code is the message)."""


class Cards(Protocol):
    """The approval channel: where requests are shown and their outcomes replace them."""

    @property
    def team_id(self) -> str: ...

    async def post(self, record: ApprovalRecord, action: str) -> str:
        """Post ``record``'s card; its ts. Raises CardNotPosted."""
        ...

    async def show_outcome(self, record: ApprovalRecord) -> None:
        """Replace the card with the outcome; a failure is logged, not raised."""
        ...


class WriteSpec(Protocol):
    """What a request needs of one of the agent's write specs (``bot.agent.WriteToolSpec``)."""

    @property
    def name(self) -> str: ...

    @property
    def preview(self) -> Callable[[Any], str]: ...

    @property
    def describe_call(self) -> Callable[[Any], str]: ...


class WriteRequests:
    """Files, joins and waits for the approvals of MCP clients' writes."""

    def __init__(
        self,
        approvals: Approvals,
        journal: CallJournal,
        cards: Cards,
        *,
        channel: str,
        wait_seconds: float = WAIT_SECONDS,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self._approvals = approvals
        self._journal = journal
        self._cards = cards
        self._channel = channel
        self._wait = wait_seconds
        self._poll = poll_seconds

    async def ask(
        self,
        spec: WriteSpec,
        arguments: Any,
        arguments_json: Mapping[str, Any],
        client: str,
        progress: Progress,
    ) -> ApprovalRecord:
        """The request's approval once decided, or as it stands when the wait is over.

        ``arguments`` are validated by the spec's model; ``arguments_json`` is their JSON form.
        Raises CardNotPosted when the card could not be shown (nothing is left waiting then).
        """
        key = request_key(client, spec.name, arguments_json)
        run_id, conversation = await self._journal.start(client)
        proposal = Proposal(call_id(run_id), spec.name, dict(arguments_json), spec.preview(arguments))
        asker = Asker(self._cards.team_id, "", self._channel, "")
        record, filed = await self._approvals.request(
            run_id, conversation, asker, proposal, requester=client, key=key
        )
        if filed:
            await self._show(record, spec.describe_call(arguments))
        else:
            summary = f"joined approval {record.id}"
            await self._journal.record(run_id, spec.name, arguments_json, ok=True, summary=summary, ms=0)
        try:
            return await self._until_decided(record, progress)
        finally:
            if not filed:  # the call that joined is a run of its own, over when the call is
                await self._journal.finish(run_id, ok=True)

    async def status(self, approval_id: str, client: str) -> ApprovalRecord | None:
        """The request now, if ``client`` asked for it (another client's id tells nothing)."""
        record = await self._approvals.get(approval_id)
        if record is None or not record.from_mcp or record.requester != client:
            return None
        return await self._expired_if_due(record)

    async def _show(self, record: ApprovalRecord, action: str) -> None:
        try:
            ts = await self._cards.post(record, action)
        except CardNotPosted as exc:
            reason = f"the approval card could not be posted in Slack ({exc}); nothing was changed"
            await self._approvals.withdraw(record.id, reason)
            await self._journal.finish(record.run_id, ok=False, error=reason)
            raise
        await self._approvals.set_message_ts(record.id, ts)

    async def _until_decided(self, record: ApprovalRecord, progress: Progress) -> ApprovalRecord:
        loop = asyncio.get_running_loop()
        started = loop.time()
        while True:
            current = await self._expired_if_due(await self._approvals.get(record.id) or record)
            waited = loop.time() - started
            if current.decided or waited >= self._wait:
                return current
            await progress(waited, self._wait, f"waiting for approval in Slack (approval {record.id})")
            await asyncio.sleep(min(self._poll, self._wait - waited))

    async def _expired_if_due(self, record: ApprovalRecord) -> ApprovalRecord:
        """Expire a pending request past its time (nobody clicked); its run ends, its card says so."""
        if record.status != "pending" or record.expires_at > self._approvals.now():
            return record
        if await self._approvals.expire(record.id):
            expired = await self._approvals.get(record.id) or record
            await self._journal.finish_request(expired)
            await self._cards.show_outcome(expired)
            return expired
        return await self._approvals.get(record.id) or record


def request_key(client: str, tool: str, arguments: Mapping[str, Any]) -> str:
    """sha256 of (client, tool, the arguments as canonical JSON): equal calls, equal keys."""
    canonical = json.dumps([client, tool, arguments], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()
