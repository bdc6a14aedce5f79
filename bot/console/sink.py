"""Renders a run's events in a terminal as they happen.

On an interactive terminal the answer is Markdown, rendered again as each piece of it arrives
(rich's ``Live``); a tool that is running is a spinner line, a finished one a dim ✓/✗ line with
its duration, and when the run ends its final rendering stays on screen. Anywhere else (a pipe,
a file, a dumb terminal, a test) the same events are plain lines: the text is written as it
comes and nothing moves the cursor.

The answer is model text, so control characters are dropped before it is shown.
"""

from __future__ import annotations

from typing import Protocol

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.markdown import Markdown
from rich.spinner import Spinner
from rich.text import Text

from bot.console.cards import terminal_safe
from bot.events import (
    Failed,
    Finished,
    Interrupted,
    StatusChanged,
    TextDelta,
    ToolFinished,
    ToolStarted,
    Usage,
    WorkflowEvent,
)


class ConsoleSink:
    """A run's events on ``console``: live Markdown where it is interactive, plain lines elsewhere."""

    def __init__(self, console: Console) -> None:
        self._view: _View = _LiveView(console) if console.is_interactive else _PlainView(console)

    async def emit(self, event: WorkflowEvent) -> None:
        self._view.emit(event)


class _View(Protocol):
    def emit(self, event: WorkflowEvent) -> None: ...


class _PlainView:
    """Deltas straight to the file; tool steps and outcomes on lines of their own."""

    def __init__(self, console: Console) -> None:
        self._out = console.file
        self._mid_line = False

    def emit(self, event: WorkflowEvent) -> None:
        if isinstance(event, TextDelta):
            text = terminal_safe(event.text)
            if text:
                self._write(text)
                self._mid_line = not text.endswith("\n")
        elif isinstance(event, ToolStarted):
            self._line(f"  → {event.summary} …")
        elif isinstance(event, ToolFinished):
            self._line(f"  {'✓' if event.ok else '✗'} {event.summary} ({event.duration_ms} ms)")
        elif isinstance(event, StatusChanged):
            self._line(f"  … {event.status}")
        elif isinstance(event, Finished):
            self._line(_usage_line(event.usage))
        elif isinstance(event, Failed | Interrupted):
            self._line(f"  ⚠ {event.message}")

    def _line(self, text: str) -> None:
        if self._mid_line:
            self._write("\n")
            self._mid_line = False
        self._write(f"{terminal_safe(text)}\n")

    def _write(self, text: str) -> None:
        self._out.write(text)
        self._out.flush()


class _LiveView:
    """One live region at a time: the answer so far as Markdown, below it what is going on."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._live: Live | None = None
        self._text = ""
        self._status = ""
        self._tools: dict[str, str] = {}  # running tools: call id → summary

    def emit(self, event: WorkflowEvent) -> None:
        if isinstance(event, TextDelta):
            self._text += terminal_safe(event.text)
            self._status = ""
        elif isinstance(event, ToolStarted):
            self._freeze_text()  # the text so far stays above the step, in the order things happened
            self._tools[event.call_id] = terminal_safe(event.summary)
        elif isinstance(event, ToolFinished):
            self._tools.pop(event.call_id, None)
            self._show(refresh=True)  # its spinner goes as its line is printed
            self._print(_step(event))
            return
        elif isinstance(event, StatusChanged):
            self._status = terminal_safe(event.status)
        elif isinstance(event, Finished):
            self._end(Text(_usage_line(event.usage), style="dim"))
            return
        elif isinstance(event, Failed | Interrupted):
            self._end(Text(f"  ⚠ {terminal_safe(event.message)}", style="red"))
            return
        self._show(refresh=not isinstance(event, TextDelta))

    def _show(self, *, refresh: bool) -> None:
        """Show the current state; text alone waits for the next tick, which renders many deltas once."""
        view = self._renderable()
        if self._live is None:
            self._live = Live(view, console=self._console, refresh_per_second=12)
            self._live.start(refresh=refresh)
        else:
            self._live.update(view, refresh=refresh)

    def _renderable(self) -> RenderableType:
        parts: list[RenderableType] = [Markdown(self._text)] if self._text.strip() else []
        parts.extend(_spinner(summary + " …") for summary in self._tools.values())
        if self._status and not self._tools:
            parts.append(_spinner(self._status + " …"))
        return Group(*parts)

    def _freeze_text(self) -> None:
        """Close the live region on the text so far; what follows starts a new region below it."""
        if self._text.strip():
            self._stop(Markdown(self._text))
        self._text = ""

    def _end(self, last: Text) -> None:
        self._stop(Markdown(self._text) if self._text.strip() else Group())  # the final rendering stays
        self._text, self._status = "", ""
        self._tools.clear()
        self._print(last)

    def _stop(self, final: RenderableType) -> None:
        if self._live is not None:
            self._live.update(final, refresh=True)
            self._live.stop()
            self._live = None

    def _print(self, line: Text) -> None:
        self._console.print(line)  # above the live region, if there is one


def _step(event: ToolFinished) -> Text:
    mark = ("  ✓ ", "green") if event.ok else ("  ✗ ", "red")
    return Text.assemble(mark, (f"{terminal_safe(event.summary)} ({event.duration_ms} ms)", "dim"))


def _spinner(label: str) -> Spinner:
    return Spinner("dots", Text(label, style="dim"), style="cyan")


def _usage_line(usage: Usage) -> str:
    return (
        f"  [{usage.requests} model call(s), {usage.tool_calls} tool call(s), "
        f"{usage.input_tokens}+{usage.output_tokens} tokens]"
    )
