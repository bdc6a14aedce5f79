"""The wrapper base of sinks that add behaviour (``bot.ports.SinkWrapper``), and ``every_run``."""

from __future__ import annotations

from dataclasses import replace

from bot.events import Finished, StatusChanged, TextDelta, ToolStarted, WorkflowEvent
from bot.ports import Sink, SinkWrapper, every_run
from tests.recording_sink import RecordingSink


class Shouting(SinkWrapper):
    """Changes the answer's text on its way in."""

    async def emit(self, event: WorkflowEvent) -> None:
        if isinstance(event, TextDelta | Finished):
            event = replace(event, text=event.text.upper())
        await super().emit(event)


class Counting(SinkWrapper):
    """Only looks at what passes."""

    def __init__(self, inner: Sink) -> None:
        super().__init__(inner)
        self.seen = 0

    async def emit(self, event: WorkflowEvent) -> None:
        self.seen += 1
        await super().emit(event)


EVENTS: list[WorkflowEvent] = [
    StatusChanged("thinking"),
    ToolStarted("c1", "jira_get_issue", "Jira: get OPS-2"),
    TextDelta("ops-2 is blocked"),
    Finished("ops-2 is blocked"),
]


async def test_a_bare_wrapper_passes_every_event_on_unchanged_and_in_order() -> None:
    recorder = RecordingSink()
    sink = SinkWrapper(SinkWrapper(recorder))
    for event in EVENTS:
        await sink.emit(event)

    assert recorder.events == EVENTS


async def test_wrappers_stack_each_adding_its_behaviour() -> None:
    recorder = RecordingSink()
    counting = Counting(Shouting(recorder))
    for event in EVENTS:
        await counting.emit(event)

    assert counting.seen == len(EVENTS)
    assert recorder.text == "OPS-2 IS BLOCKED"
    assert recorder.terminal == Finished("OPS-2 IS BLOCKED")
    assert counting.inner.inner is recorder  # type: ignore[attr-defined]


def test_every_run_gets_the_same_sink() -> None:
    recorder = RecordingSink()
    sinks = every_run(recorder)
    assert sinks("run-1") is recorder and sinks("run-2") is recorder
