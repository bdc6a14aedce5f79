"""Runs (one answer to one question: status, timings, usage) and the steps each run made: its tool
calls and its LLM requests.

A run's row is locked (``FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite) for every
read-modify-write, so concurrent tool calls are all counted and only the first outcome of a run
is ever recorded. The usage a run records is what its steps add up to: a tool call per recorded
call, and the requests and tokens of its recorded LLM requests, so every report of a run (its
trace, the footer under its answer, ``chatops runs`` and ``usage``) tells the same numbers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

from bot.events import LlmStep, RunStatus, Usage
from bot.store.database import Database
from bot.store.models import (
    FINISHED_STATUSES,
    RUN_TRIGGERS,
    Conversation,
    LlmCall,
    Message,
    Run,
    ToolCall,
    utcnow,
)
from bot.store.text import clean_text

# A read is done or failed; a proposed write is proposed until the asker decides, then denied,
# expired, or (approved and executed) done or failed.
ToolOutcome = Literal["done", "failed", "proposed", "denied", "expired"]


@dataclass(frozen=True, slots=True)
class RunRecord:
    """A run as stored, with the thread it belongs to. A snapshot, not a live row."""

    id: str
    conversation_id: int
    team_id: str
    channel_id: str
    thread_ts: str
    trigger: str
    user_id: str
    status: RunStatus
    reply_ts: str | None
    error: str | None
    usage: Usage
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATUSES


@dataclass(frozen=True, slots=True)
class ToolCallRecord:
    """One tool call of a run, as stored."""

    call_id: str
    name: str
    arguments: dict[str, Any]
    ok: bool
    outcome: ToolOutcome
    summary: str
    duration_ms: int
    created_at: datetime


class Runs(Database):
    """Runs from queued to finished, and their tool calls."""

    async def create_run(self, conversation_id: int, *, trigger: str, user_id: str) -> str:
        if trigger not in RUN_TRIGGERS:
            raise ValueError(f"unknown run trigger {trigger!r}")
        async with self.writing() as session:
            run = Run(conversation_id=conversation_id, trigger=trigger, user_id=user_id)
            session.add(run)
            return run.id

    async def mark_running(self, run_id: str) -> None:
        # One statement, no row loaded: every run takes this write, often under load.
        running = (
            sa.update(Run)
            .where(col(Run.id) == run_id, col(Run.status) == "queued")
            .values(status="running", started_at=utcnow())
        )
        async with self.writing() as session:
            if (await session.exec(running)).rowcount == 0:
                await _locked_run(session, run_id)  # not queued: it must at least exist

    async def set_reply_ts(self, run_id: str, reply_ts: str) -> None:
        async with self.writing() as session:
            await session.exec(sa.update(Run).where(col(Run.id) == run_id).values(reply_ts=reply_ts))

    async def record_tool_call(
        self,
        run_id: str,
        *,
        call_id: str,
        name: str,
        arguments: Mapping[str, Any],
        ok: bool,
        summary: str,
        duration_ms: int,
        outcome: ToolOutcome | None = None,
    ) -> None:
        """Store one tool call and count it on the run, in one transaction; a call the run recorded
        already is left as it is. ``outcome`` is done or failed, as ``ok`` says, unless given."""
        call = ToolCall(
            run_id=run_id,
            call_id=call_id,
            name=name,
            arguments=json.dumps(dict(arguments), default=str),
            ok=ok,
            outcome=outcome or ("done" if ok else "failed"),
            summary=clean_text(summary),
            duration_ms=duration_ms,
        )
        async with self.writing() as session:
            await add_tool_call(session, call)

    async def finish_run(
        self,
        run_id: str,
        *,
        status: RunStatus,
        usage: Usage,
        answer: str | None = None,
        error: str | None = None,
        llm_steps: Sequence[LlmStep] = (),
    ) -> bool:
        """Record how a run ended, its answer and its LLM requests, atomically.

        The run's usage is what its recorded steps add up to; ``usage`` only stands in for the LLM
        requests of a run that recorded none. Returns False (and changes nothing) when the run had
        already finished, so a late or repeated call can never overwrite the first outcome.
        """
        if status not in FINISHED_STATUSES:
            raise ValueError(f"{status!r} is not a final run status")
        async with self.writing() as session:
            run = await _locked_run(session, run_id)
            if run.status in FINISHED_STATUSES:
                return False
            session.add_all(_llm_call(run_id, step) for step in llm_steps)
            await session.flush()
            if answer is not None:
                session.add(
                    Message(
                        conversation_id=run.conversation_id,
                        role="assistant",
                        text=clean_text(answer),
                        run_id=run_id,
                    )
                )
            _finish(run, status, await _recorded_requests(session, run_id) or usage, error)
            return True

    async def get_run(self, run_id: str) -> RunRecord | None:
        query = _runs_with_threads().where(Run.id == run_id)
        async with self.reading() as session:
            row = (await session.exec(query)).first()
        return None if row is None else _run_record(*row)

    async def answer(self, run_id: str) -> str | None:
        """The answer a finished run recorded (as the thread remembers it), if it gave one."""
        query = select(Message.text).where(Message.run_id == run_id, Message.role == "assistant")
        async with self.reading() as session:
            return (await session.exec(query.order_by(col(Message.id)))).first()

    async def runs(self, conversation_id: int) -> list[RunRecord]:
        """The conversation's runs, oldest first."""
        query = (
            _runs_with_threads()
            .where(Run.conversation_id == conversation_id)
            .order_by(col(Run.created_at), col(Run.id))
        )
        async with self.reading() as session:
            rows = (await session.exec(query)).all()
        return [_run_record(*row) for row in rows]

    async def unfinished_runs(self) -> list[RunRecord]:
        """Runs still queued or running: after a crash these are the ones to mark interrupted."""
        query = (
            _runs_with_threads()
            .where(col(Run.status).in_(("queued", "running")))
            .order_by(col(Run.created_at), col(Run.id))
        )
        async with self.reading() as session:
            rows = (await session.exec(query)).all()
        return [_run_record(*row) for row in rows]

    async def tool_calls(self, run_id: str) -> list[ToolCallRecord]:
        query = select(ToolCall).where(ToolCall.run_id == run_id).order_by(col(ToolCall.id))
        async with self.reading() as session:
            calls = (await session.exec(query)).all()
        return [_tool_call_record(call) for call in calls]


async def _locked_run(session: AsyncSession, run_id: str) -> Run:
    # FOR UPDATE matters on PostgreSQL; on SQLite BEGIN IMMEDIATE already serialises writers.
    run = (await session.exec(select(Run).where(Run.id == run_id).with_for_update())).first()
    if run is None:
        raise LookupError(f"no run {run_id!r}")
    return run


async def add_tool_call(session: AsyncSession, call: ToolCall) -> bool:
    """Add ``call`` to its run's trace and count it, unless the run recorded that call already.

    One INSERT … ON CONFLICT DO NOTHING on the (run, call) index decides, so two records of one
    call cannot both land, without a lock or a read first: this write comes with every tool call.
    """
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    values = {column: getattr(call, column) for column in _TOOL_CALL_COLUMNS}
    insert = (
        (postgresql if dialect == "postgresql" else sqlite)
        .insert(ToolCall)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["run_id", "call_id"])
        .returning(col(ToolCall.id))
    )
    try:
        inserted = (await session.exec(insert)).first()
    except IntegrityError as exc:  # the foreign key: there is no such run
        raise LookupError(f"no run {call.run_id!r}") from exc
    if inserted is None:
        return False  # a resumed run replays the calls its first attempt recorded
    await session.exec(
        sa.update(Run).where(col(Run.id) == call.run_id).values(tool_calls=col(Run.tool_calls) + 1)
    )
    return True


_TOOL_CALL_COLUMNS = (
    "run_id",
    "call_id",
    "name",
    "arguments",
    "ok",
    "outcome",
    "summary",
    "duration_ms",
    "created_at",
)


async def _recorded_requests(session: AsyncSession, run_id: str) -> Usage | None:
    """The requests and tokens of the run's recorded LLM requests; None when it recorded none."""
    query = select(
        sa.func.count(col(LlmCall.id)),
        sa.func.coalesce(sa.func.sum(col(LlmCall.input_tokens)), 0),
        sa.func.coalesce(sa.func.sum(col(LlmCall.output_tokens)), 0),
    ).where(LlmCall.run_id == run_id)
    requests, input_tokens, output_tokens = (await session.exec(query)).one()
    return Usage(int(input_tokens), int(output_tokens), int(requests)) if requests else None


def _llm_call(run_id: str, step: LlmStep) -> LlmCall:
    return LlmCall(
        run_id=run_id,
        model=step.model[:128],
        input_tokens=step.input_tokens,
        output_tokens=step.output_tokens,
        duration_ms=step.duration_ms,
        created_at=step.at or utcnow(),
    )


def _finish(run: Run, status: RunStatus, requests: Usage, error: str | None) -> None:
    run.status = status
    run.error = None if error is None else clean_text(error)
    run.input_tokens = requests.input_tokens
    run.output_tokens = requests.output_tokens
    run.requests = requests.requests
    # run.tool_calls already counts the calls recorded one by one: the trace's count is the run's.
    run.finished_at = utcnow()


def _runs_with_threads() -> Select[Run, Conversation]:
    return select(Run, Conversation).join(Conversation, col(Run.conversation_id) == col(Conversation.id))


def _run_record(run: Run, conversation: Conversation) -> RunRecord:
    return RunRecord(
        id=run.id,
        conversation_id=run.conversation_id,
        team_id=conversation.team_id,
        channel_id=conversation.channel_id,
        thread_ts=conversation.thread_ts,
        trigger=run.trigger,
        user_id=run.user_id,
        status=cast(RunStatus, run.status),
        reply_ts=run.reply_ts,
        error=run.error,
        usage=Usage(run.input_tokens, run.output_tokens, run.requests, run.tool_calls),
        created_at=run.created_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
    )


def _tool_call_record(call: ToolCall) -> ToolCallRecord:
    return ToolCallRecord(
        call_id=call.call_id,
        name=call.name,
        arguments=json.loads(call.arguments),
        ok=call.ok,
        outcome=cast(ToolOutcome, call.outcome),
        summary=call.summary,
        duration_ms=call.duration_ms,
        created_at=call.created_at,
    )
