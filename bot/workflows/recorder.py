"""`RunRecorder`: a run's record kept as its events pass, and the usage that record adds up to.

Each tool call is stored as it finishes; the run's end is stored with the LLM requests it made
(``bot.store`` counts the run's usage from those stored steps). The ending event then goes on with
that usage, read back from the store: the footer under an answer, the console's usage line and the
metrics count what ``chatops run`` shows, whoever counted first (the model library leaves out
failed and proposed tool calls, a paused run never reported its requests).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from bot.events import Failed, Finished, LlmStep, RunStatus, ToolFinished, ToolStarted, Usage, WorkflowEvent
from bot.store import Store


class RunRecorder:
    """Records one run from its events; ``record`` returns each event as it should go on."""

    def __init__(self, store: Store, run_id: str) -> None:
        self._store = store
        self.run_id = run_id
        self._started: dict[str, ToolStarted] = {}

    async def record(self, event: WorkflowEvent) -> WorkflowEvent:
        """Store what ``event`` says about the run; an ending comes back with the recorded usage."""
        if isinstance(event, ToolStarted):
            self._started[event.call_id] = event
        elif isinstance(event, ToolFinished):
            await self._tool_call(event)
        elif isinstance(event, Finished):
            usage = await self.finish("succeeded", event.usage, event.llm_steps, answer=event.text)
            return replace(event, usage=usage)
        elif isinstance(event, Failed):
            usage = await self.finish("failed", event.usage, event.llm_steps, error=event.message)
            return replace(event, usage=usage)
        return event

    async def finish(
        self,
        status: RunStatus,
        usage: Usage,
        llm_steps: Sequence[LlmStep],
        *,
        answer: str | None = None,
        error: str | None = None,
    ) -> Usage:
        """End the run (only its first end counts) and return the usage its record adds up to."""
        await self._store.finish_run(
            self.run_id, status=status, usage=usage, answer=answer, error=error, llm_steps=llm_steps
        )
        run = await self._store.get_run(self.run_id)
        return usage if run is None else run.usage

    async def _tool_call(self, end: ToolFinished) -> None:
        start = self._started.pop(end.call_id, None)
        await self._store.record_tool_call(
            self.run_id,
            call_id=end.call_id,
            name=end.name,
            arguments=dict(start.arguments) if start else {},
            ok=end.ok,
            summary=end.summary,
            duration_ms=end.duration_ms,
        )


def paid_for(error: BaseException) -> tuple[LlmStep, ...]:
    """The LLM requests a failed workflow made all the same (a rejected draft's attempts)."""
    return tuple(getattr(error, "llm_steps", ()))
