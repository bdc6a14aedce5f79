"""A one-line footer under each finished answer: its tool calls (and the tools), its tokens, its seconds.

It wraps any sink (a ``bot.ports.SinkWrapper``) and only changes the Finished event: the footer
is appended to the answer's text, so a sink that streamed the deltas renders just the footer as
the new tail. The stored answer is the workflow's own, without the footer, so history stays what
the model said. The counts are the ``Finished`` event's usage: the run's record (``bot.workflows``
puts it there), so they are what ``chatops run`` shows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace

from bot.events import Finished, ToolStarted, Usage, WorkflowEvent
from bot.ports import Sink, SinkWrapper

Clock = Callable[[], float]


def footer_line(tools: list[str], usage: Usage, seconds: float) -> str:
    calls = usage.tool_calls
    used = f"{calls} tool call{'' if calls == 1 else 's'}" if calls or tools else "no tools"
    if tools:
        used += f" ({', '.join(tools)})"
    tokens = usage.input_tokens + usage.output_tokens
    return f"_{used} · {tokens:,} tokens · {seconds:.1f} s_"


class FooterSink(SinkWrapper):
    """Adds the footer to ``Finished`` and passes everything on."""

    def __init__(self, inner: Sink, *, clock: Clock | None = None) -> None:
        super().__init__(inner)
        self._clock = clock
        self._started: float | None = None
        self._tools: list[str] = []

    def _now(self) -> float:
        return self._clock() if self._clock is not None else asyncio.get_running_loop().time()

    async def emit(self, event: WorkflowEvent) -> None:
        if self._started is None:
            self._started = self._now()
        if isinstance(event, ToolStarted) and event.name not in self._tools:
            self._tools.append(event.name)
        if isinstance(event, Finished):
            footer = footer_line(self._tools, event.usage, self._now() - self._started)
            event = replace(event, text=f"{event.text}\n\n{footer}" if event.text else footer)
        await super().emit(event)
