"""Workflow events: usage adds up across runs, and only three events end a run."""

from __future__ import annotations

import pytest

from bot.events import (
    ApprovalRequested,
    Failed,
    Finished,
    Interrupted,
    StatusChanged,
    TextDelta,
    ToolFinished,
    ToolStarted,
    Usage,
    WorkflowEvent,
    WritesProposed,
    is_terminal,
)


def test_usage_adds_field_by_field() -> None:
    total = Usage(10, 20, 1, 2) + Usage(1, 2, 3, 4)

    assert total == Usage(input_tokens=11, output_tokens=22, requests=4, tool_calls=6)
    assert sum([Usage(1, 1, 1, 1)] * 3, Usage()) == Usage(3, 3, 3, 3)


@pytest.mark.parametrize("event", [Finished("done"), Failed("broke"), Interrupted()])
def test_finished_failed_and_interrupted_end_a_run(event: WorkflowEvent) -> None:
    assert is_terminal(event)


@pytest.mark.parametrize(
    "event",
    [
        StatusChanged("thinking"),
        TextDelta("par"),
        ToolStarted("c1", "jira_get_issue", "Jira: get OPS-2"),
        ToolFinished("c1", "jira_get_issue", True, "OPS-2: Blocked"),
        WritesProposed((), "[]"),
        ApprovalRequested("a1", "jira_add_comment", "Comment on OPS-1"),
    ],
)
def test_every_other_event_leaves_the_run_going(event: WorkflowEvent) -> None:
    assert not is_terminal(event)
