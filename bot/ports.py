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
class AgentRequest:
    """What the agent needs: the question, who asked, and the thread so far."""

    question: str
    user_id: str
    history: tuple[Turn, ...] = ()
    run_id: str = ""


class AgentPort(Protocol):
    """Answers a question, yielding text deltas and tool steps, ending with a terminal event."""

    def answer(self, request: AgentRequest) -> AsyncIterator[WorkflowEvent]: ...


class Sink(Protocol):
    """Renders a run's events somewhere a person can see them (Slack thread, terminal, test log)."""

    async def emit(self, event: WorkflowEvent) -> None: ...
