from __future__ import annotations

import io

from bot.console.sink import ConsoleSink
from bot.events import (
    Failed,
    Finished,
    Interrupted,
    StatusChanged,
    TextDelta,
    ToolFinished,
    ToolStarted,
    Usage,
)


async def test_deltas_print_as_they_come_and_tool_steps_on_their_own_lines() -> None:
    out = io.StringIO()
    sink = ConsoleSink(out, color=False)
    await sink.emit(StatusChanged("thinking"))
    await sink.emit(ToolStarted("c1", "jira_get_issue", "Jira: OPS-2"))
    await sink.emit(ToolFinished("c1", "jira_get_issue", True, "OPS-2 · Blocked", 12))
    await sink.emit(TextDelta("OPS-2 is "))
    assert out.getvalue().endswith("OPS-2 is ")  # visible before the answer is complete
    await sink.emit(TextDelta("blocked."))
    await sink.emit(Finished("OPS-2 is blocked.", Usage(10, 5, 2, 1)))
    lines = out.getvalue().splitlines()
    assert lines == [
        "  … thinking",
        "  → Jira: OPS-2 …",
        "  ✓ OPS-2 · Blocked (12 ms)",
        "OPS-2 is blocked.",
        "  [2 model call(s), 1 tool call(s), 10+5 tokens]",
    ]


async def test_failures_and_interruptions_are_shown() -> None:
    out = io.StringIO()
    sink = ConsoleSink(out, color=False)
    await sink.emit(TextDelta("partial"))
    await sink.emit(Failed("the LLM is unavailable"))
    await sink.emit(Interrupted())
    text = out.getvalue()
    assert "partial\n  ⚠ the LLM is unavailable\n" in text
    assert "please ask again" in text
