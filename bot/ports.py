"""The seams between orchestration and the outside world, as Protocols."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal, Protocol

from bot.events import WorkflowEvent

Role = Literal["user", "assistant"]


@dataclass(frozen=True, slots=True)
class Turn:
    """One earlier message of a conversation, oldest first."""

    role: Role
    text: str


@dataclass(frozen=True, slots=True)
class ContextItem:
    """Data looked up before a run because the message mentions it (e.g. a Jira issue).

    Written by whoever can edit that issue, so the agent sees it only as fenced untrusted data.
    """

    source: str  # the service it came from, e.g. "jira"
    name: str  # what it is, e.g. "OPS-123"
    body: str  # the data itself (JSON, like a tool result)


@dataclass(frozen=True, slots=True)
class AgentRequest:
    """What the agent needs: the question, who asked, the thread so far, and looked-up context."""

    question: str
    user_id: str
    history: tuple[Turn, ...] = ()
    run_id: str = ""
    context: tuple[ContextItem, ...] = ()


class ContextSource(Protocol):
    """Looks up what a message mentions before the agent runs; never raises for upstream failures."""

    async def gather(self, text: str) -> tuple[ContextItem, ...]: ...


class AgentPort(Protocol):
    """Answers a question, yielding text deltas and tool steps, ending with a terminal event."""

    def answer(self, request: AgentRequest) -> AsyncIterator[WorkflowEvent]: ...


class Sink(Protocol):
    """Renders a run's events somewhere a person can see them (Slack thread, terminal, test log)."""

    async def emit(self, event: WorkflowEvent) -> None: ...
