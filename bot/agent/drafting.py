"""The drafting port: ask the LLM for one typed, validated result (a digest, a triage, an issue draft).

A workflow gathers the facts itself, then hands them to a `Drafter` with the pydantic model it
wants back and a check of its own (for example "every link must be one we fetched"). The
drafter offers the model a single output tool whose schema is that model; an answer that fails
the schema or the check goes back to the model with the problem, within the attempt budget;
after that the run ends with `DraftRejected`, whose message says plainly what was wrong.
Nothing here knows which LLM library is behind the port (see ``bot.agent.drafter``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from pydantic import BaseModel

from bot.errors import BotError
from bot.events import LlmStep, Usage
from bot.ports import ContextItem

T = TypeVar("T", bound=BaseModel)

# A check returns None when the value is acceptable, else the problem in words the model can act on.
Check = Callable[[T], str | None]


def accept_all(_value: BaseModel) -> str | None:
    return None


@dataclass(frozen=True, slots=True)
class DraftRequest(Generic[T]):
    """What to draft: the output model, the tool it is submitted with, and the facts to draft from.

    ``facts`` are untrusted upstream text (issue bodies, PR titles, thread messages): the drafter
    fences them as data; ``task`` is our own text and may instruct.
    """

    output: type[T]
    tool_name: str  # e.g. "submit_digest"; the simulated model recognises it by this name
    instructions: str
    task: str
    facts: Sequence[ContextItem] = ()
    check: Check[T] = field(default=accept_all)


@dataclass(frozen=True, slots=True)
class Drafted(Generic[T]):
    value: T
    usage: Usage
    attempts: int  # model answers it took, 1 when the first one was valid
    llm_steps: tuple[LlmStep, ...] = ()  # each model answer, for the run's trace and cost


class DraftRejected(BotError):
    """The model's answers kept failing validation; ``message`` names the last problem plainly.
    ``llm_steps`` are the answers it paid for all the same."""

    def __init__(self, message: str, llm_steps: tuple[LlmStep, ...] = ()) -> None:
        super().__init__(message)
        self.llm_steps = llm_steps


class Drafter(Protocol):
    """Drafts one typed value; raises DraftRejected, or an UpstreamError with service ``llm``."""

    async def draft(self, request: DraftRequest[T]) -> Drafted[T]: ...
