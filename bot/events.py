"""What a workflow yields while it runs. Sinks (Slack, console, tests) render these.

A run's event stream always ends with exactly one terminal event: ``Finished``,
``Failed`` or ``Interrupted``. The runs (``bot.runs``) guarantee it even when a workflow
crashes or is cancelled, so no thread is left with a dangling "working..." message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, TypeAlias


@dataclass(frozen=True, slots=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    requests: int = 0
    tool_calls: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.requests + other.requests,
            self.tool_calls + other.tool_calls,
        )


@dataclass(frozen=True, slots=True)
class StatusChanged:
    """A coarse progress note: "queued", "thinking", ..."""

    status: str


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of the answer, in order. Untrusted: sinks escape it before display."""

    text: str


@dataclass(frozen=True, slots=True)
class ToolStarted:
    call_id: str
    name: str
    summary: str  # short human text, e.g. "Jira: get OPS-2"
    arguments: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ToolFinished:
    call_id: str
    name: str
    ok: bool
    summary: str  # e.g. "OPS-2: In Progress" or the error in a few words
    duration_ms: int = 0


@dataclass(frozen=True, slots=True)
class LlmStep:
    """One request the agent made to the LLM during a run, for the run's trace and its cost."""

    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    duration_ms: int = 0
    at: datetime | None = None  # when the response arrived


@dataclass(frozen=True, slots=True)
class Finished:
    """The answer is complete. ``text`` is the whole answer (the deltas joined)."""

    text: str
    usage: Usage = Usage()
    llm_steps: tuple[LlmStep, ...] = ()


@dataclass(frozen=True, slots=True)
class Failed:
    """The run ended with an error. ``message`` is safe to show the user."""

    message: str
    retryable: bool = False
    usage: Usage = Usage()
    llm_steps: tuple[LlmStep, ...] = ()  # the model responses received before it failed


@dataclass(frozen=True, slots=True)
class Interrupted:
    """The run was stopped before it finished (shutdown, crash recovery)."""

    message: str = "interrupted before the answer was complete; please ask again"


@dataclass(frozen=True, slots=True)
class ProposedWrite:
    """A write tool call the model made; it runs only after the asker approves it."""

    call_id: str
    tool: str
    arguments: dict[str, object]


@dataclass(frozen=True, slots=True)
class WritesProposed:
    """The agent stopped at proposed writes (from the agent to the workflow, never to a sink).

    ``history`` is the run's message history, serialised, so the run can resume after a restart.
    """

    proposals: tuple[ProposedWrite, ...]
    history: str
    text: str = ""
    usage: Usage = Usage()
    llm_steps: tuple[LlmStep, ...] = ()  # the model responses of the run up to its proposals


@dataclass(frozen=True, slots=True)
class ApprovalRequested:
    """A proposed write is waiting for the asker: sinks show ``preview`` with Approve/Edit/Deny."""

    approval_id: str
    tool: str
    preview: str
    user_id: str = ""
    allowed: bool = True  # False: the asker may not approve writes here; shown, but not approvable


TerminalEvent: TypeAlias = Finished | Failed | Interrupted
WorkflowEvent: TypeAlias = (
    StatusChanged
    | TextDelta
    | ToolStarted
    | ToolFinished
    | WritesProposed
    | ApprovalRequested
    | TerminalEvent
)

RunStatus = Literal["queued", "running", "succeeded", "failed", "interrupted"]


def is_terminal(event: WorkflowEvent) -> bool:
    return isinstance(event, Finished | Failed | Interrupted)
