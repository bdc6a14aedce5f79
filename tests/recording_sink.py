"""The test sink: records every event a run emits."""

from __future__ import annotations

import asyncio

from bot.events import TextDelta, WorkflowEvent, is_terminal


class RecordingSink:
    def __init__(self) -> None:
        self.events: list[WorkflowEvent] = []
        self.done = asyncio.Event()

    async def emit(self, event: WorkflowEvent) -> None:
        self.events.append(event)
        if is_terminal(event):
            self.done.set()

    @property
    def text(self) -> str:
        return "".join(e.text for e in self.events if isinstance(e, TextDelta))

    @property
    def terminal(self) -> WorkflowEvent:
        assert self.events and is_terminal(self.events[-1]), self.events
        return self.events[-1]

    def of_type(self, kind: type) -> list[WorkflowEvent]:
        return [e for e in self.events if isinstance(e, kind)]


class BrokenSink(RecordingSink):
    """A sink whose every emit fails, like a Slack that went away mid-run."""

    async def emit(self, event: WorkflowEvent) -> None:
        await super().emit(event)
        raise ConnectionError("sink is gone")
