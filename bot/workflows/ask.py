"""The ask workflow: a question in a conversation becomes an answer, recorded as it goes.

It never talks to Slack: it yields events and a sink renders them. The question was stored
when it arrived (see `Intake`); here the history before it is loaded, what the question
mentions is looked up (a `ContextSource`, e.g. Jira keys), the files attached to it are fetched
and read (``attachments``: a ``FileSource``; an unreadable one is named at the top of the
answer), the agent runs, tool calls are recorded as they finish, and the answer is stored when
the run ends, with the LLM requests it made (``RunRecorder``: the usage the sinks are shown is
the one stored).

When the agent proposes writes, the run pauses: the proposals are filed with the approval desk
(stored with the run's message history), the sinks get one ``ApprovalRequested`` each, and the
run ends as answered. ``continue_run`` is the run that resumes it once the asker has decided.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.events import ApprovalRequested, Failed, Finished, ProposedWrite, WorkflowEvent, WritesProposed
from bot.ports import AgentPort, AgentRequest, ContextSource, FileRef, FileSource, ResumeRequest
from bot.runs import step
from bot.store import Asker, Store
from bot.workflows.attachments import read_attachments, unreadable_notice, with_notice
from bot.workflows.recorder import RunRecorder

AWAITING_APPROVAL = "I'd like to make the change below; it needs your approval."
NO_WRITES = "I tried to change something in Jira or GitHub, but writes are not enabled here."


class ProposalDesk(Protocol):
    """Where proposed writes are filed (``bot.approvals.desk.ApprovalDesk``)."""

    async def file(
        self,
        run_id: str,
        conversation_id: int,
        history: str,
        asker: Asker,
        proposals: Sequence[ProposedWrite],
    ) -> list[ApprovalRequested]: ...


@dataclass(frozen=True)
class Question:
    """A stored question waiting for its answer."""

    run_id: str
    conversation_id: int
    message_id: int
    user_id: str
    text: str
    channel_id: str = ""  # the agent offers some MCP servers only in some channels
    files: tuple[FileRef, ...] = ()  # attached to the question; fetched in the run
    searchable: bool = False  # its edge left a search grant in memory (never the grant itself)


async def answer(
    question: Question,
    *,
    store: Store,
    agent: AgentPort,
    context: ContextSource | None = None,
    desk: ProposalDesk | None = None,
    files: FileSource | None = None,
) -> AsyncIterator[WorkflowEvent]:
    history = await store.history(question.conversation_id, before_message_id=question.message_id)
    await store.mark_running(question.run_id)
    request = AgentRequest(
        question=question.text,
        user_id=question.user_id,
        history=tuple(history),
        run_id=question.run_id,
        channel_id=question.channel_id,
        searchable=question.searchable,
        # A step: a resumed run reuses what was looked up instead of reading Jira again.
        context=await step("context.gather", context.gather, question.text) if context is not None else (),
        # Not a step: a file's bytes stay out of the run's checkpoints; a resumed run fetches again.
        attachments=await read_attachments(question.files, files) if question.files else (),
    )
    events = with_notice(agent.answer(request), unreadable_notice(request.attachments))
    async for event in _recorded(question.run_id, events, store=store, desk=desk):
        yield event


async def continue_run(
    run_id: str,
    conversation_id: int,
    request: ResumeRequest,
    *,
    store: Store,
    agent: AgentPort,
    desk: ProposalDesk,
) -> AsyncIterator[WorkflowEvent]:
    """The run that resumes a paused one with the asker's decisions (it may propose again)."""
    await store.mark_running(run_id)
    async for event in _recorded(run_id, agent.resume(request), store=store, desk=desk):
        yield event


async def _recorded(
    run_id: str, events: AsyncIterator[WorkflowEvent], *, store: Store, desk: ProposalDesk | None
) -> AsyncIterator[WorkflowEvent]:
    recorder = RunRecorder(store, run_id)
    async for event in events:
        if isinstance(event, WritesProposed):
            async for paused in _pause(recorder, event, store=store, desk=desk):
                yield paused
            return
        yield await recorder.record(event)


async def _pause(
    recorder: RunRecorder, proposed: WritesProposed, *, store: Store, desk: ProposalDesk | None
) -> AsyncIterator[WorkflowEvent]:
    """File the proposals, show them, and end this run as answered: the decision resumes it."""
    run_id = recorder.run_id
    run = await store.get_run(run_id)
    if desk is None or run is None:
        yield await recorder.record(Failed(NO_WRITES, False, proposed.usage, proposed.llm_steps))
        return
    asker = Asker(team_id=run.team_id, user_id=run.user_id, channel=run.channel_id, thread_ts=run.thread_ts)
    requests = await step(
        "approvals.file", desk.file, run_id, run.conversation_id, proposed.history, asker, proposed.proposals
    )
    for request in requests:
        yield request
    text = proposed.text.strip() or AWAITING_APPROVAL
    yield await recorder.record(Finished(text, proposed.usage, proposed.llm_steps))
