"""Approvals: proposed writes waiting for the asker, and the paused agent runs they belong to.

Every decision is a conditional UPDATE on the approval's status, so of any number of clicks
(double clicks, Slack retries, two processes, a click after a restart) exactly one moves a
proposal from ``pending`` to ``approved`` and so executes it; the others see it taken. The
paused run's message history is stored with its proposals and handed out once, to the run that
resumes it, when every proposal of the run has been decided.

Each proposal is also a step of the paused run's trace (a tool call, ``proposed``), and the
transaction that decides it writes the decision there too: ``chatops run`` shows a denied write as
denied, an expired one as expired, and an approved one as done or failed, never as proposed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.database import Database
from bot.store.models import DECIDED_APPROVAL_STATUSES, Approval, PausedRun, ToolCall, utcnow
from bot.store.runs import ToolOutcome, add_tool_call
from bot.store.text import clean_text

ApprovalStatus = Literal["pending", "approved", "denied", "expired", "executed", "failed"]
Clock = Callable[[], datetime]

WAITING = "waiting for approval"


@dataclass(frozen=True, slots=True)
class Proposal:
    """A proposed write as the workflow files it: the model's call, checked and previewed."""

    call_id: str
    tool: str
    args: dict[str, Any]
    preview: str


@dataclass(frozen=True, slots=True)
class Asker:
    """Who asked, and where: only this user of this team may decide, in this thread."""

    team_id: str
    user_id: str
    channel: str
    thread_ts: str


@dataclass(frozen=True, slots=True)
class ApprovalRecord:
    """An approval as stored. A snapshot, not a live row."""

    id: str
    run_id: str
    call_id: str
    team_id: str
    user_id: str
    channel: str
    thread_ts: str
    message_ts: str | None
    tool: str
    args: dict[str, Any]
    preview: str
    status: ApprovalStatus
    idempotency_key: str
    expires_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    result: str | None
    result_url: str | None
    origin: str = "slack"  # or "mcp": a write an MCP client asked for, not an agent run's proposal
    requester: str | None = None  # the MCP client's name
    request_key: str | None = None

    @property
    def decided(self) -> bool:
        return self.status in DECIDED_APPROVAL_STATUSES

    @property
    def from_mcp(self) -> bool:
        return self.origin == "mcp"

    def run_ending(self) -> tuple[Literal["succeeded", "failed"], str | None]:
        """How the run of a decided MCP request ends: failed only when the write failed."""
        if self.status == "failed":
            return "failed", self.result or "the write failed"
        return "succeeded", None

    def belongs_to(self, team_id: str, user_id: str) -> bool:
        """Both ids must match: a user id alone is not unique across workspaces."""
        return self.team_id == team_id and self.user_id == user_id

    def traced(self) -> tuple[ToolOutcome, str]:
        """The proposal as a step of a run's trace (``chatops run``, ``/ask why``): its outcome so
        far and a short summary."""
        if self.status == "denied" and self.from_mcp:
            return "denied", self.result or "denied in Slack; nothing was changed"
        if self.status == "denied":
            return "denied", "denied by the person who asked; nothing was changed"
        if self.status == "expired":
            return "expired", "expired before it was approved; nothing was changed"
        if self.status == "executed":
            done = self.result or "done"
            return "done", f"{done} ({self.result_url})" if self.result_url else done
        if self.status == "failed":
            return "failed", self.result or "the write failed"
        return "proposed", WAITING


@dataclass(frozen=True, slots=True)
class Resumption:
    """A paused run handed to the one run that continues it."""

    run_id: str
    conversation_id: int
    history: str
    approvals: tuple[ApprovalRecord, ...]


class Approvals:
    """The approvals repository, on the bot's database. ``clock`` is injectable for expiry tests."""

    def __init__(
        self, database: Database, *, ttl: timedelta = timedelta(minutes=15), clock: Clock = utcnow
    ) -> None:
        self._database = database
        self._ttl = ttl
        self.clock = clock  # public: tests move time forward to expire proposals

    def now(self) -> datetime:
        return self.clock()

    async def pause(
        self, run_id: str, conversation_id: int, history: str, asker: Asker, proposals: Sequence[Proposal]
    ) -> list[ApprovalRecord]:
        """Store the paused run and its proposals in one transaction; returns them in order."""
        expires_at = self.clock() + self._ttl
        rows = [_row(run_id, asker, proposal, expires_at) for proposal in proposals]
        async with self._database.writing() as session:
            session.add(PausedRun(run_id=run_id, conversation_id=conversation_id, history=history))
            await session.flush()  # the approvals reference it
            session.add_all(rows)
            for row in rows:
                await _trace_proposal(session, row)
        return [_record(row) for row in rows]

    async def request(
        self, run_id: str, conversation_id: int, asker: Asker, proposal: Proposal, *, requester: str, key: str
    ) -> tuple[ApprovalRecord, bool]:
        """The approval an MCP client's write joins (False), or a new one filed for ``run_id`` (True).

        A call joins an approval of the same ``key`` that is pending and unexpired, being made, or
        decided (not expired) less than the TTL ago. Otherwise ``run_id`` becomes a paused run with
        no history and the approval its one proposal, traced as its tool call. ``asker`` names the
        workspace and the approval channel; there is no asking user.
        """
        now = self.clock()
        async with self._database.writing() as session:
            await _serialise(session, key)
            joined = (await session.exec(_joinable(key, now, self._ttl))).first()
            if joined is not None:
                return _record(joined), False
            row = _row(run_id, asker, proposal, now + self._ttl, requester=requester[:64], request_key=key)
            session.add(PausedRun(run_id=run_id, conversation_id=conversation_id, history=""))
            await session.flush()  # the approval references it
            session.add(row)
            await _trace_proposal(session, row)
            return _record(row), True

    async def withdraw(self, approval_id: str, reason: str) -> bool:
        """pending → denied without a decision (its card could not be posted); no call joins it."""
        return await self._update(
            approval_id,
            ("pending",),
            status="denied",
            decided_at=self.clock(),
            result=clean_text(reason),
            request_key=None,
        )

    async def get(self, approval_id: str) -> ApprovalRecord | None:
        async with self._database.reading() as session:
            row = await session.get(Approval, approval_id)
        return None if row is None else _record(row)

    async def for_run(self, run_id: str) -> list[ApprovalRecord]:
        query = select(Approval).where(Approval.run_id == run_id).order_by(col(Approval.created_at))
        async with self._database.reading() as session:
            rows = (await session.exec(query)).all()
        return [_record(row) for row in rows]

    async def pending_in_thread(self, team_id: str, channel: str, thread_ts: str) -> list[ApprovalRecord]:
        query = (
            select(Approval)
            .where(Approval.team_id == team_id, Approval.channel == channel, Approval.thread_ts == thread_ts)
            .where(Approval.status == "pending")
            .order_by(col(Approval.created_at))
        )
        async with self._database.reading() as session:
            rows = (await session.exec(query)).all()
        return [_record(row) for row in rows]

    async def set_message_ts(self, approval_id: str, message_ts: str) -> None:
        await self._update(approval_id, (), message_ts=message_ts)

    async def revise(self, approval_id: str, args: Mapping[str, Any], preview: str) -> bool:
        """Replace the draft (after Edit) while it is still pending and unexpired."""
        return await self._update(
            approval_id,
            ("pending",),
            unexpired=True,
            args=json.dumps(dict(args), default=str),
            preview=clean_text(preview),
        )

    async def claim(self, approval_id: str, decided_by: str) -> bool:
        """pending → approved, once, if not expired. True means: this caller executes the write."""
        now = self.clock()
        return await self._update(
            approval_id,
            ("pending",),
            unexpired=True,
            status="approved",
            decided_by=decided_by,
            decided_at=now,
        )

    async def deny(self, approval_id: str, decided_by: str) -> bool:
        now = self.clock()
        return await self._update(
            approval_id, ("pending",), status="denied", decided_by=decided_by, decided_at=now
        )

    async def expire(self, approval_id: str) -> bool:
        """pending → expired, only once its time is up."""
        now = self.clock()
        async with self._database.writing() as session:
            result = await session.exec(
                sa.update(Approval)
                .where(col(Approval.id) == approval_id, col(Approval.status) == "pending")
                .where(col(Approval.expires_at) <= now)
                .values(status="expired", decided_at=now)
            )
            if not result.rowcount:
                return False
            await _trace_decision(session, approval_id)
            return True

    async def finish(self, approval_id: str, *, ok: bool, result: str, url: str | None = None) -> bool:
        """approved → executed | failed, with what happened."""
        return await self._update(
            approval_id,
            ("approved",),
            status="executed" if ok else "failed",
            result=clean_text(result),
            result_url=url,
        )

    async def resumed(self, run_id: str) -> bool:
        async with self._database.reading() as session:
            paused = await session.get(PausedRun, run_id)
        return paused is not None and paused.resumed_by is not None

    async def take_resumption(self, run_id: str, resumed_by: str) -> Resumption | None:
        """The paused run, to the one caller that continues it, once all its proposals are decided."""
        async with self._database.writing() as session:
            # FOR UPDATE matters on PostgreSQL: two processes deciding the run's last proposals
            # at once would both read it unresumed. SQLite's BEGIN IMMEDIATE already serialises.
            paused = await session.get(PausedRun, run_id, with_for_update=True)
            if paused is None or paused.resumed_by is not None:
                return None
            query = select(Approval).where(Approval.run_id == run_id).order_by(col(Approval.created_at))
            rows = (await session.exec(query)).all()
            if not rows or any(row.status not in DECIDED_APPROVAL_STATUSES for row in rows):
                return None
            paused.resumed_by = resumed_by
            session.add(paused)
            return Resumption(run_id, paused.conversation_id, paused.history, tuple(map(_record, rows)))

    async def _update(
        self, approval_id: str, from_statuses: tuple[str, ...], *, unexpired: bool = False, **values: Any
    ) -> bool:
        statement = sa.update(Approval).where(col(Approval.id) == approval_id)
        if from_statuses:
            statement = statement.where(col(Approval.status).in_(from_statuses))
        if unexpired:
            statement = statement.where(col(Approval.expires_at) > self.clock())
        async with self._database.writing() as session:
            result = await session.exec(statement.values(**values))
            if not result.rowcount:
                return False
            if values.get("status") in DECIDED_APPROVAL_STATUSES:
                await _trace_decision(session, approval_id)
            return True


async def _trace_proposal(session: AsyncSession, row: Approval) -> None:
    """The proposal as a step of its run: the model's call if the run recorded it, else a new one."""
    recorded = await session.exec(
        sa.update(ToolCall)
        .where(col(ToolCall.run_id) == row.run_id, col(ToolCall.call_id) == row.call_id)
        .values(outcome="proposed", ok=True, summary=WAITING)
    )
    if not recorded.rowcount:
        step = ToolCall(
            run_id=row.run_id,
            call_id=row.call_id,
            name=row.tool,
            arguments=row.args,
            ok=True,
            outcome="proposed",
            summary=WAITING,
        )
        await add_tool_call(session, step)


async def _trace_decision(session: AsyncSession, approval_id: str) -> None:
    """Write the proposal's decision into its run's trace, in the transaction that made it."""
    row = await session.get(Approval, approval_id)
    assert row is not None, approval_id
    outcome, summary = _record(row).traced()
    await session.exec(
        sa.update(ToolCall)
        .where(col(ToolCall.run_id) == row.run_id, col(ToolCall.call_id) == row.call_id)
        .values(outcome=outcome, ok=outcome == "done", summary=clean_text(summary))
    )


async def _serialise(session: AsyncSession, key: str) -> None:
    """One request of a key at a time: two equal calls at once must not both file an approval.
    SQLite's BEGIN IMMEDIATE serialises writers already; PostgreSQL takes a transaction lock."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        await session.exec(select(sa.func.pg_advisory_xact_lock(int(key[:15], 16))))


def _joinable(key: str, now: datetime, ttl: timedelta) -> Any:
    """The newest approval of ``key`` that a re-sent MCP call joins."""
    live = sa.or_(
        col(Approval.status) == "approved",  # claimed: the write is being made
        sa.and_(col(Approval.status) == "pending", col(Approval.expires_at) > now),
        sa.and_(
            col(Approval.status).in_(("denied", "executed", "failed")),
            col(Approval.decided_at) > now - ttl,
        ),
    )
    return (
        select(Approval)
        .where(col(Approval.request_key) == key, live)
        .order_by(col(Approval.created_at).desc())
    )


def _record(row: Approval) -> ApprovalRecord:
    return ApprovalRecord(
        id=row.id,
        run_id=row.run_id,
        call_id=row.call_id,
        team_id=row.team_id,
        user_id=row.user_id,
        channel=row.channel,
        thread_ts=row.thread_ts,
        message_ts=row.message_ts,
        tool=row.tool,
        args=json.loads(row.args),
        preview=row.preview,
        status=row.status,  # type: ignore[arg-type]  # the CHECK constraint keeps it one of them
        idempotency_key=row.idempotency_key,
        expires_at=row.expires_at,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        result=row.result,
        result_url=row.result_url,
        origin=row.origin,
        requester=row.requester,
        request_key=row.request_key,
    )


def _row(
    run_id: str,
    asker: Asker,
    proposal: Proposal,
    expires_at: datetime,
    *,
    requester: str | None = None,
    request_key: str | None = None,
) -> Approval:
    """A pending approval of ``proposal`` for ``asker``; a ``requester`` makes it an MCP client's."""
    return Approval(
        run_id=run_id,
        call_id=proposal.call_id,
        team_id=asker.team_id,
        user_id=asker.user_id,
        channel=asker.channel,
        thread_ts=asker.thread_ts,
        tool=proposal.tool,
        args=json.dumps(proposal.args, default=str),
        preview=clean_text(proposal.preview),
        expires_at=expires_at,
        origin="mcp" if requester is not None else "slack",
        requester=requester,
        request_key=request_key,
    )
