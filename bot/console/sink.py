"""Renders a run's events in a terminal as they happen."""

from __future__ import annotations

from typing import TextIO

from bot.events import (
    Failed,
    Finished,
    Interrupted,
    StatusChanged,
    TextDelta,
    ToolFinished,
    ToolStarted,
    WorkflowEvent,
)

_DIM, _RED, _GREEN, _RESET = "\033[2m", "\033[31m", "\033[32m", "\033[0m"


class ConsoleSink:
    """Writes deltas straight to the terminal; tool steps and outcomes on their own lines."""

    def __init__(self, out: TextIO, *, color: bool = True) -> None:
        self._out = out
        self._color = color
        self._mid_line = False

    async def emit(self, event: WorkflowEvent) -> None:
        if isinstance(event, TextDelta):
            self._write(event.text)
            self._mid_line = not event.text.endswith("\n")
        elif isinstance(event, ToolStarted):
            self._line(f"  → {event.summary} …", _DIM)
        elif isinstance(event, ToolFinished):
            mark, tone = ("✓", _GREEN) if event.ok else ("✗", _RED)
            self._line(f"  {mark} {event.summary} ({event.duration_ms} ms)", tone)
        elif isinstance(event, StatusChanged):
            self._line(f"  … {event.status}", _DIM)
        elif isinstance(event, Finished):
            self._end_line()
            usage = event.usage
            self._line(
                f"  [{usage.requests} model call(s), {usage.tool_calls} tool call(s), "
                f"{usage.input_tokens}+{usage.output_tokens} tokens]",
                _DIM,
            )
        elif isinstance(event, Failed | Interrupted):
            self._line(f"  ⚠ {event.message}", _RED)

    def _line(self, text: str, tone: str) -> None:
        self._end_line()
        self._write(f"{tone}{text}{_RESET}\n" if self._color else f"{text}\n")

    def _end_line(self) -> None:
        if self._mid_line:
            self._write("\n")
            self._mid_line = False

    def _write(self, text: str) -> None:
        self._out.write(text)
        self._out.flush()
