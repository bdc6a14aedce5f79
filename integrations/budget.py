"""The time a run may still spend, carried in a context variable down to the HTTP transport.

The bot wraps a run in ``with time_budget(seconds):``; every upstream call made inside it, however
deep, can ask ``remaining()`` and refuse to sleep through a wait it cannot afford. A retry that
would outlive the run is useless: the person has already been told it took too long. Budgets nest:
an inner budget never extends an outer one. Outside any budget ``remaining()`` is None.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

Clock = Callable[[], float]


@dataclass(frozen=True)
class Deadline:
    """A moment on ``clock`` (monotonic seconds unless injected) after which time is up."""

    at: float
    clock: Clock

    def remaining(self) -> float:
        return max(0.0, self.at - self.clock())


_deadline: ContextVar[Deadline | None] = ContextVar("chatops_time_budget", default=None)


@contextmanager
def time_budget(seconds: float, *, clock: Clock = time.monotonic) -> Iterator[Deadline]:
    """Limit everything inside the block to ``seconds`` (or less, when an outer budget is tighter)."""
    outer = _deadline.get()
    deadline = Deadline(at=clock() + max(0.0, seconds), clock=clock)
    if outer is not None and outer.remaining() < deadline.remaining():
        deadline = outer
    token = _deadline.set(deadline)
    try:
        yield deadline
    finally:
        _deadline.reset(token)


def remaining() -> float | None:
    """Seconds left in the current budget, or None when no budget is set."""
    deadline = _deadline.get()
    return None if deadline is None else deadline.remaining()
