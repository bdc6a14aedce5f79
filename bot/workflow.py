"""The ask workflow: a question in a conversation becomes an answer, recorded as it goes.

It never talks to Slack: it yields events and a sink renders them. The question was stored
when it arrived (see `Intake`); here the history before it is loaded, what the question
mentions is looked up (a `ContextSource`, e.g. Jira keys), the agent runs, tool calls are
recorded as they finish, and the answer is stored when the run ends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from bot.events import Failed, Finished, ToolFinished, ToolStarted, WorkflowEvent
from bot.ports import AgentPort, AgentRequest, ContextSource
from bot.store import Store


@dataclass(frozen=True)
class Question:
    """A stored question waiting for its answer."""

    run_id: str
    conversation_id: int
    message_id: int
    user_id: str
    text: str


async def answer(
    question: Question, *, store: Store, agent: AgentPort, context: ContextSource | None = None
) -> AsyncIterator[WorkflowEvent]:
    history = await store.history(question.conversation_id, before_message_id=question.message_id)
    await store.mark_running(question.run_id)
    request = AgentRequest(
        question=question.text,
        user_id=question.user_id,
        history=tuple(history),
        run_id=question.run_id,
        context=await context.gather(question.text) if context is not None else (),
    )
    started: dict[str, ToolStarted] = {}
    async for event in agent.answer(request):
        if isinstance(event, ToolStarted):
            started[event.call_id] = event
        elif isinstance(event, ToolFinished):
            await _record_tool_call(store, question.run_id, started.pop(event.call_id, None), event)
        elif isinstance(event, Finished):
            await store.finish_run(question.run_id, status="succeeded", usage=event.usage, answer=event.text)
        elif isinstance(event, Failed):
            await store.finish_run(question.run_id, status="failed", usage=event.usage, error=event.message)
        yield event


async def _record_tool_call(store: Store, run_id: str, start: ToolStarted | None, end: ToolFinished) -> None:
    await store.record_tool_call(
        run_id,
        call_id=end.call_id,
        name=end.name,
        arguments=dict(start.arguments) if start else {},
        ok=end.ok,
        summary=end.summary,
        duration_ms=end.duration_ms,
    )
