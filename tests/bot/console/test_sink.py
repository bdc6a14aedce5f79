from __future__ import annotations

import io

from rich.console import Console

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
    sink = ConsoleSink(Console(file=out, force_terminal=False))
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
    sink = ConsoleSink(Console(file=out, force_terminal=False))
    await sink.emit(TextDelta("partial"))
    await sink.emit(Failed("the LLM is unavailable"))
    await sink.emit(Interrupted())
    text = out.getvalue()
    assert "partial\n  ⚠ the LLM is unavailable\n" in text
    assert "please ask again" in text


def terminal(out: io.StringIO) -> Console:
    """An interactive terminal of 80 columns writing into ``out``, ANSI codes and all."""
    return Console(file=out, force_terminal=True, width=80, color_system="standard")


async def test_on_a_terminal_the_answer_is_markdown_and_its_last_rendering_stays() -> None:
    out = io.StringIO()
    sink = ConsoleSink(terminal(out))
    await sink.emit(StatusChanged("thinking"))
    for piece in ("## Where it stands\n\n", "**OPS-2** waits ", "on OPS-1.\n\n- the fix\n- CI"):
        await sink.emit(TextDelta(piece))
    await sink.emit(Finished("", Usage(10, 5, 2, 0)))

    final = out.getvalue().rsplit("thinking", 1)[-1]
    assert "\x1b[1mOPS-2\x1b[0m waits on OPS-1." in final
    assert "\x1b[1m • \x1b[0mthe fix" in final and "**" not in final and "## " not in final
    assert final.rstrip().endswith("[2 model call(s), 0 tool call(s), 10+5 tokens]\x1b[0m")


async def test_on_a_terminal_a_finished_tool_is_one_line_with_its_mark_and_duration() -> None:
    out = io.StringIO()
    sink = ConsoleSink(terminal(out))
    await sink.emit(ToolStarted("c1", "jira_get_issue", "Jira: OPS-2"))
    await sink.emit(ToolFinished("c1", "jira_get_issue", True, "OPS-2 · Blocked", 12))
    await sink.emit(ToolStarted("c2", "gh_get_pr", "GitHub: acme/payments#42"))
    await sink.emit(ToolFinished("c2", "gh_get_pr", False, "not found", 7))
    await sink.emit(Interrupted("stopped at your request"))

    text = out.getvalue()
    assert "Jira: OPS-2 …" in text, "a running tool shows while it runs"
    assert "\x1b[32m  ✓ \x1b[0m\x1b[2mOPS-2 · Blocked (12 ms)\x1b[0m" in text
    assert "\x1b[31m  ✗ \x1b[0m\x1b[2mnot found (7 ms)\x1b[0m" in text
    assert text.rstrip().endswith("\x1b[31m  ⚠ stopped at your request\x1b[0m")


async def test_control_characters_in_the_answer_never_reach_the_terminal() -> None:
    for console in (Console(file=io.StringIO(), force_terminal=False), terminal(io.StringIO())):
        sink = ConsoleSink(console)
        await sink.emit(TextDelta("OPS-2\x1b[2J is \x07blocked\n"))
        await sink.emit(Finished("", Usage()))
        written = console.file.getvalue()  # type: ignore[attr-defined]
        assert "\x1b[2J" not in written and "\x07" not in written and "is blocked" in written


async def test_text_before_a_tool_stays_above_its_step_and_the_answer_goes_on_below() -> None:
    out = io.StringIO()
    sink = ConsoleSink(terminal(out))
    await sink.emit(TextDelta("Let me look **OPS-2** up."))
    await sink.emit(ToolStarted("c1", "jira_get_issue", "Jira: OPS-2"))
    await sink.emit(ToolFinished("c1", "jira_get_issue", True, "OPS-2 · Blocked", 12))
    await sink.emit(TextDelta("It is *blocked*."))
    await sink.emit(Finished("", Usage()))

    text = out.getvalue()
    first, step, then = (text.rindex(s) for s in ("OPS-2\x1b[0m up.", "OPS-2 · Blocked", "blocked\x1b[0m."))
    assert first < step < then
