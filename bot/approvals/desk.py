"""The approval desk: files the writes an agent proposes, takes the asker's decisions, executes an
approved write exactly once, and resumes the paused agent run with the outcomes.

Surfaces (Slack, console) call it; it never talks to them. A decision is checked in this order:
the approval exists; the person deciding is the asker (same user AND team), else nothing happens;
an approval also needs WRITE_USERS / WRITE_CHANNELS to allow them; a proposal past its time is
expired instead; then one atomic claim in the database decides who executes. Only the claimant
calls the write tool, with the approval's idempotency key, and records the outcome. When every
proposal of the paused run is decided, the run resumes once, as a new run in the same thread.

The approved write is a durable task (``approval-<id>``): the write is a checkpointed step, then
the outcome is recorded and the paused run resumed. A process killed after the claim finishes it
when it comes back, so an approved change is made exactly once and its run still goes on.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal, Protocol

from pydantic import ValidationError

from bot.agent import WriteToolSpec
from bot.approvals.policy import WritePolicy
from bot.events import ApprovalRequested, ProposedWrite, Usage, WorkflowEvent
from bot.ports import AgentPort, Origin, ResumeRequest, WriteDecision
from bot.runs import RunOrder, Runs, run_once, step, task
from bot.store import ApprovalRecord, Approvals, Asker, Proposal, Resumption, Store
from bot.text import explain
from bot.workflows import continue_run
from integrations.errors import ChatOpsError

log = logging.getLogger(__name__)

Choice = Literal["approve", "deny"]
VerdictKind = Literal["executed", "failed", "denied", "expired", "not_yours", "forbidden", "taken", "unknown"]

DENIED = "The person who asked denied this proposal; nothing was changed."
INTERRUPTED = (
    "The bot stopped while making this change, so it may or may not have happened; check before asking again."
)
# A claim older than this without an outcome belongs to a process that died mid-write: longer
# than any write can take (HTTP timeouts, no retries of writes), so a live write is never cut off.
STALE_CLAIM = timedelta(minutes=10)
EXPIRED = "The proposal expired before it was approved; nothing was changed."
RESUME = "resume"
WRITE_TASK = "approval.write"


class WriteCatalog(Protocol):
    """Write specs found by name, such as the team's MCP servers' (``bot.agent.MCPWrites``)."""

    def get(self, name: str) -> WriteToolSpec[Any, Any] | None: ...


@dataclass(frozen=True)
class _Writes:
    """Our own write specs by name, then each catalog's: every write the desk can make."""

    specs: Mapping[str, WriteToolSpec[Any, Any]]
    catalogs: Sequence[WriteCatalog]

    def get(self, name: str) -> WriteToolSpec[Any, Any] | None:
        spec = self.specs.get(name)
        for catalog in self.catalogs:
            spec = spec or catalog.get(name)
        return spec


@dataclass(frozen=True)
class Resumed:
    """A paused run's continuation, as the run's payload."""

    run_id: str
    conversation_id: int
    request: ResumeRequest


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a decision did. ``message`` is plain text for the person who clicked."""

    kind: VerdictKind
    message: str
    approval: ApprovalRecord | None = None

    @property
    def final(self) -> bool:
        """The approval reached an end state by this decision: the preview should show it."""
        return self.kind in ("executed", "failed", "denied", "expired")


@dataclass(frozen=True, slots=True)
class Revision:
    """The outcome of an edit: the new preview, or per-field errors for the form."""

    ok: bool
    preview: str = ""
    errors: Mapping[str, str] | None = None
    message: str = ""


class ApprovalDesk:
    def __init__(
        self,
        approvals: Approvals,
        writes: Sequence[WriteToolSpec[Any, Any]],
        *,
        store: Store,
        agent: AgentPort,
        runs: Runs,
        policy: WritePolicy | None = None,
        surface: str = "slack",
        catalogs: Sequence[WriteCatalog] = (),
    ) -> None:
        self.approvals = approvals
        self._writes = _Writes({spec.name: spec for spec in writes}, catalogs)
        self._store = store
        self._agent = agent
        self._runs = runs
        self._policy = policy or WritePolicy()
        self._surface = surface  # where the resumed runs of this process's approvals render
        runs.program(RESUME, self._continue)
        task(WRITE_TASK, self._carry_out)

    # -- proposing ---------------------------------------------------------------------------

    async def file(
        self,
        run_id: str,
        conversation_id: int,
        history: str,
        asker: Asker,
        proposals: Sequence[ProposedWrite],
    ) -> list[ApprovalRequested]:
        """Store the paused run and a pending approval per proposal; the events for the sinks."""
        filed = [self._proposal(proposal) for proposal in proposals]
        records = await self.approvals.pause(run_id, conversation_id, history, asker, filed)
        allowed = self._policy.refusal(asker.user_id, asker.channel) is None
        return [
            ApprovalRequested(record.id, record.tool, record.preview, record.user_id, allowed)
            for record in records
        ]

    def _proposal(self, proposed: ProposedWrite) -> Proposal:
        spec = self._writes.get(proposed.tool)
        if spec is None:  # only offered tools can be called; this is a bug, shown rather than hidden
            return Proposal(proposed.call_id, proposed.tool, dict(proposed.arguments), "(unknown write tool)")
        arguments = spec.validate(proposed.arguments)  # validated before the run paused
        return Proposal(
            proposed.call_id, spec.name, arguments.model_dump(mode="json"), spec.preview(arguments)
        )

    def refusal(self, user_id: str, channel: str) -> str | None:
        """Why this person may not approve writes here (WRITE_USERS / WRITE_CHANNELS), if so."""
        return self._policy.refusal(user_id, channel)

    # -- deciding ----------------------------------------------------------------------------

    async def decide(self, approval_id: str, choice: Choice, *, team_id: str, user_id: str) -> Verdict:
        record = await self.approvals.get(approval_id)
        if record is None:
            return Verdict("unknown", "I can't find that proposal any more.")
        refused = self._refused(record, choice, team_id=team_id, user_id=user_id)
        if refused is not None:
            return refused
        if record.status == "pending" and record.expires_at <= self.approvals.now():
            return await self._expire(record)
        if choice == "deny":
            return await self._deny(record, user_id)
        return await self._approve(record, user_id)

    def _refused(
        self, record: ApprovalRecord, choice: Choice, *, team_id: str, user_id: str
    ) -> Verdict | None:
        """Why this click decides nothing. A proposal is its asker's (and WRITE_USERS /
        WRITE_CHANNELS must allow an approval); an MCP client's request has no asker in Slack, so
        anyone of the workspace the policy allows in its channel may approve or deny it."""
        if record.from_mcp:
            if record.team_id != team_id:
                return Verdict("not_yours", "Only this workspace can decide on this request.", record)
            refusal = self._policy.refusal(user_id, record.channel)
            return None if refusal is None else Verdict("forbidden", refusal, record)
        if not record.belongs_to(team_id, user_id):
            return Verdict("not_yours", "Only the person who asked can decide on this proposal.", record)
        if choice == "approve":
            refusal = self._policy.refusal(user_id, record.channel)
            if refusal is not None:
                return Verdict("forbidden", refusal, record)
        return None

    async def _expire(self, record: ApprovalRecord) -> Verdict:
        if not await self.approvals.expire(record.id):
            return await self._taken(record.id)
        return Verdict(
            "expired", "This proposal has expired; nothing was changed.", await self._reload(record)
        )

    async def _deny(self, record: ApprovalRecord, user_id: str) -> Verdict:
        if not await self.approvals.deny(record.id, user_id):
            return await self._taken(record.id)
        return Verdict("denied", "Denied; nothing was changed.", await self._reload(record))

    async def _approve(self, record: ApprovalRecord, user_id: str) -> Verdict:
        if not await self.approvals.claim(record.id, user_id):
            current = await self.approvals.get(record.id)
            if current is not None and current.status == "pending":  # it expired just now
                return await self._expire(current)
            return await self._taken(record.id)
        # This caller alone holds the claim: the write runs once, as a task that outlives a crash.
        ok, text = await run_once(f"approval-{record.id}", WRITE_TASK, record.id)
        return Verdict("executed" if ok else "failed", text, await self._reload(record))

    async def _carry_out(self, approval_id: str) -> tuple[bool, str]:
        """The claimed write, its outcome recorded, and the paused run resumed if all is decided."""
        record = await self.approvals.get(approval_id)
        assert record is not None, approval_id
        ok, text, url = await step("approval.execute", self._execute, record)
        await self.approvals.finish(record.id, ok=ok, result=text, url=url)
        await self.resume_if_decided(record.run_id)
        return ok, text

    async def _execute(self, record: ApprovalRecord) -> tuple[bool, str, str | None]:
        spec = self._writes.get(record.tool)
        if spec is None:
            return False, f"{record.tool} is not available in this bot's configuration.", None
        try:
            arguments = spec.validate(record.args)
            result = await spec.execute(arguments, record.idempotency_key)
        except ValidationError:
            return False, "The proposal's arguments are no longer valid; nothing was sent.", None
        except ChatOpsError as exc:
            return False, explain(exc), None
        except Exception:
            log.exception("write %s of approval %s crashed", record.tool, record.id)
            return False, "Something went wrong on my side while making the change.", None
        url = getattr(result, "url", None)
        return True, spec.describe_result(result), url if isinstance(url, str) else None

    async def _taken(self, approval_id: str) -> Verdict:
        current = await self.approvals.get(approval_id)
        if current is not None and self._stale(current):
            # Never retried: the write may have reached Jira/GitHub. Reported, and the run goes on.
            if await self.approvals.finish(current.id, ok=False, result=INTERRUPTED):
                return Verdict("failed", INTERRUPTED, await self._reload(current))
            current = await self.approvals.get(approval_id)
        status = current.status if current else "gone"
        if status == "approved":  # another click holds the claim and is making the change now
            return Verdict("taken", "This change was already approved and is being made.", current)
        return Verdict("taken", f"This proposal was already decided ({status}).", current)

    def _stale(self, record: ApprovalRecord) -> bool:
        claimed = record.decided_at
        return (
            record.status == "approved"
            and claimed is not None
            and claimed + STALE_CLAIM < self.approvals.now()
        )

    async def _reload(self, record: ApprovalRecord) -> ApprovalRecord:
        return await self.approvals.get(record.id) or record

    # -- editing -----------------------------------------------------------------------------

    async def revise(
        self, approval_id: str, arguments: Mapping[str, Any], *, team_id: str, user_id: str
    ) -> Revision:
        """Replace a pending proposal's arguments with the asker's edit, if they validate."""
        record = await self.approvals.get(approval_id)
        if record is None or not record.belongs_to(team_id, user_id):
            return Revision(False, message="Only the person who asked can edit this proposal.")
        spec = self._writes.get(record.tool)
        if spec is None:
            return Revision(False, message=f"{record.tool} is not available.")
        try:
            validated = spec.validate({**record.args, **arguments})
        except ValidationError as exc:
            return Revision(False, errors=field_errors(exc), message="Some fields are not valid.")
        preview = spec.preview(validated)
        if not await self.approvals.revise(record.id, validated.model_dump(mode="json"), preview):
            return Revision(False, message="This proposal was already decided or has expired.")
        return Revision(True, preview=preview)

    def arguments_model(self, tool: str) -> type[Any] | None:
        spec = self._writes.get(tool)
        return spec.arguments if spec else None

    # -- resuming ----------------------------------------------------------------------------

    async def resume_if_decided(self, run_id: str) -> str | None:
        """Continue the paused run in its thread once every proposal is decided; the new run id.

        Exactly one caller gets the paused history (``take_resumption``), so two processes or a
        replayed click cannot resume a run twice. An MCP client's request has no agent run to go
        on: its run (``chatops mcp``'s) is finished instead.
        """
        records = await self.approvals.for_run(run_id)
        if not records or not all(record.decided for record in records):
            return None
        if records[0].from_mcp:
            status, error = records[0].run_ending()
            await self._store.finish_run(run_id, status=status, usage=Usage(), error=error)
            return None
        if not self._runs.accepting:
            return None
        if await self.approvals.resumed(run_id):
            return None  # a replayed click: the run already went on
        asker = records[0]
        conversation_id = await self._store.open_conversation(asker.team_id, asker.channel, asker.thread_ts)
        new_run = await self._store.create_run(conversation_id, trigger="approval", user_id=asker.user_id)
        resumption = await self.approvals.take_resumption(run_id, new_run)
        if resumption is None:
            await self._store.finish_run(
                new_run, status="interrupted", usage=Usage(), error="already resumed"
            )
            return None
        await self._trace_decisions(new_run, resumption)
        request = ResumeRequest(
            resumption.history, decisions(resumption), asker.user_id, new_run, asker.channel
        )
        # The resumed run answers in the asker's thread; its own proposals go below it again.
        origin = Origin(
            self._surface, asker.team_id, asker.channel, asker.thread_ts, asker.user_id, desk=True
        )
        payload = Resumed(new_run, conversation_id, request)
        await self._runs.submit(RunOrder(new_run, conversation_id, RESUME, payload, origin, kind="approval"))
        return new_run

    async def _trace_decisions(self, run_id: str, resumption: Resumption) -> None:
        """The resumed run answers each proposal's call with its decision: its trace records the call
        as decided (denied, expired, done or failed), before the agent replays it."""
        for record in resumption.approvals:
            outcome, summary = record.traced()
            await self._store.record_tool_call(
                run_id,
                call_id=record.call_id,
                name=record.tool,
                arguments=record.args,
                ok=outcome == "done",
                summary=summary,
                duration_ms=0,
                outcome=outcome,
            )

    def _continue(self, resumed: Resumed) -> AsyncIterator[WorkflowEvent]:
        return continue_run(
            resumed.run_id,
            resumed.conversation_id,
            resumed.request,
            store=self._store,
            agent=self._agent,
            desk=self,
        )


def decisions(resumption: Resumption) -> tuple[WriteDecision, ...]:
    """What the model is told about each of its proposals."""
    return tuple(_decision(record) for record in resumption.approvals)


def _decision(record: ApprovalRecord) -> WriteDecision:
    if record.status in ("executed", "failed"):
        outcome = record.result or ("Done." if record.status == "executed" else "The write failed.")
        if record.result_url:
            outcome = f"{outcome} ({record.result_url})"
        return WriteDecision(record.call_id, True, outcome, record.status == "executed", dict(record.args))
    return WriteDecision(record.call_id, False, EXPIRED if record.status == "expired" else DENIED)


def field_errors(exc: ValidationError) -> dict[str, str]:
    """Pydantic's errors by top-level field name, for a form."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "arguments"
        errors.setdefault(field, error["msg"])
    return errors
