"""Workflows that end in a proposed write: thread → Jira issue, and `/triage KEY`.

Each is a durable run in the asker's thread (queued, rendered for its origin, stored) that drafts a typed
result, shows it, and files the write(s) it implies with the approval desk, as a paused agent
run whose history says the write was proposed (``bot.agent.proposal_history``). From there it is
the approval flow's: a preview with Approve / Edit / Deny for the asker only, one execution, and
the agent resumed with the outcome. Nothing here writes to Jira or GitHub.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from bot.agent import proposal_history
from bot.events import (
    Failed,
    Finished,
    ProposedWrite,
    StatusChanged,
    TextDelta,
    Usage,
    WorkflowEvent,
)
from bot.ports import Origin, Turn
from bot.runs import RunOrder, Runs, step
from bot.store import Asker, Store
from bot.text import explain
from bot.workflows.ask import ProposalDesk
from bot.workflows.issue_draft import IssueDrafter, IssueDraftResult, IssueRequest
from bot.workflows.recorder import RunRecorder, paid_for
from bot.workflows.triage import SEVERITY_PRIORITY, Triager, TriageResult
from integrations.errors import ChatOpsError

NO_DESK = "Writes are not enabled in this bot, so I can only show the draft."
ISSUE_DRAFT = "issue_draft"
TRIAGE = "triage"


@dataclass(frozen=True)
class IssueOrder:
    run_id: str
    asker: Asker
    request: IssueRequest
    thread: tuple[Turn, ...]


@dataclass(frozen=True)
class TriageOrder:
    run_id: str
    asker: Asker
    key: str


@dataclass
class DraftedWrites:
    store: Store
    runs: Runs
    desk: ProposalDesk | None
    issues: IssueDrafter
    triager: Triager

    def __post_init__(self) -> None:
        self.runs.program(ISSUE_DRAFT, lambda order: _recorded(self.store, order.run_id, self._issue(order)))
        self.runs.program(TRIAGE, lambda order: _recorded(self.store, order.run_id, self._triage(order)))

    async def issue_from_thread(
        self, asker: Asker, request: IssueRequest, thread: Sequence[Turn], origin: Origin
    ) -> str:
        """Start drafting an issue in the asker's thread; returns the run id."""
        run_id, conversation_id = await self._open(asker)
        order = IssueOrder(run_id, asker, request, tuple(thread))
        return await self._start(
            RunOrder(run_id, conversation_id, ISSUE_DRAFT, order, origin, kind="workflow")
        )

    async def triage(self, asker: Asker, key: str, origin: Origin) -> str:
        """Start triaging ``key`` in the asker's thread; returns the run id."""
        run_id, conversation_id = await self._open(asker)
        return await self._start(
            RunOrder(
                run_id, conversation_id, TRIAGE, TriageOrder(run_id, asker, key), origin, kind="workflow"
            )
        )

    async def _issue(self, order: IssueOrder) -> AsyncIterator[WorkflowEvent]:
        yield StatusChanged("drafting the issue")
        # A step: a resumed run keeps the draft instead of asking the model again.
        result = await step("draft.issue", self.issues.draft, order.request, order.thread)
        text = issue_text(result)
        yield TextDelta(text)
        tool, arguments = result.proposed_write()
        task = request_task(order.request)
        async for event in self._propose(order.run_id, order.asker, task, [(tool, arguments)]):
            yield event
        yield Finished(text, result.usage, result.llm_steps)

    async def _triage(self, order: TriageOrder) -> AsyncIterator[WorkflowEvent]:
        yield StatusChanged(f"triaging {order.key}")
        result = await step("draft.triage", self.triager.run, order.key)
        text = triage_text(result)
        yield TextDelta(text)
        task = f"Triage the Jira issue {order.key}."
        async for event in self._propose(order.run_id, order.asker, task, result.proposed_writes()):
            yield event
        yield Finished(text, result.usage, result.llm_steps)

    async def _propose(
        self, run_id: str, asker: Asker, task: str, writes: Sequence[tuple[str, dict[str, Any]]]
    ) -> AsyncIterator[WorkflowEvent]:
        if self.desk is None:
            yield TextDelta(f"\n\n{NO_DESK}")
            return
        calls = [(f"call_{uuid.uuid4().hex[:16]}", tool, arguments) for tool, arguments in writes]
        run = await self.store.get_run(run_id)
        assert run is not None
        proposals = [ProposedWrite(call_id, tool, dict(arguments)) for call_id, tool, arguments in calls]
        history = proposal_history(task, calls)
        filed = await step(
            "approvals.file", self.desk.file, run_id, run.conversation_id, history, asker, proposals
        )
        for request in filed:
            yield request

    async def _open(self, asker: Asker) -> tuple[str, int]:
        conversation_id = await self.store.open_conversation(asker.team_id, asker.channel, asker.thread_ts)
        run_id = await self.store.create_run(conversation_id, trigger="workflow", user_id=asker.user_id)
        return run_id, conversation_id

    async def _start(self, order: RunOrder) -> str:
        try:
            await self.runs.submit(order)
        except ChatOpsError:
            await self.store.finish_run(
                order.run_id, status="interrupted", usage=Usage(), error="not started"
            )
            raise
        return order.run_id


async def _recorded(
    store: Store, run_id: str, events: AsyncIterator[WorkflowEvent]
) -> AsyncIterator[WorkflowEvent]:
    """The workflow's events, with the run marked and its outcome stored; failures said plainly."""
    recorder = RunRecorder(store, run_id)
    await store.mark_running(run_id)
    try:
        async for event in events:
            yield await recorder.record(event)
    except ChatOpsError as exc:
        yield await recorder.record(Failed(explain(exc), exc.retryable, llm_steps=paid_for(exc)))


def request_task(request: IssueRequest) -> str:
    asked = f": {request.text}" if request.text else ""
    return f"Create a Jira issue in {request.project} from this thread{asked}"


def issue_text(result: IssueDraftResult) -> str:
    draft = result.draft
    lines = [f"*Draft Jira issue for {result.project}* · {draft.type}: {draft.summary}"]
    details = [f"priority {draft.priority}" if draft.priority else "", ", ".join(draft.labels)]
    if draft.suggested_assignee:
        details.append(f"suggested assignee {draft.suggested_assignee}")
    shown = [detail for detail in details if detail]
    if shown:
        lines.append(" · ".join(shown))
    return "\n".join(lines)


def triage_text(result: TriageResult) -> str:
    triage, issue = result.triage, result.facts.issue
    lines = [
        f"*Triage of {issue.key}* · {issue.summary}",
        f"• Component: {triage.component}",
        f"• Severity: {triage.severity} (suggests priority {SEVERITY_PRIORITY[triage.severity]}; "
        f"now {issue.priority or 'unset'})",
        f"• Possible duplicates: {', '.join(triage.duplicates) or 'none found'}",
        f"• Suggested owner: {triage.suggested_owner or 'nobody stands out'}",
    ]
    if triage.reasoning:
        lines.append(f"• Why: {triage.reasoning}")
    if result.facts.problems:
        lines.append("_Could not read: " + "; ".join(result.facts.problems) + "_")
    return "\n".join(lines)
