"""A clock that only moves when a test moves it, with a sleep that waits on it.

Injected into ``SlackBudget`` (and the tier simulator) so a test can hold a budget, watch what
piles up meanwhile, and release it, without waiting on the wall clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class ManualClock:
    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start
        self._sleepers: list[tuple[float, asyncio.Future[None]]] = []

    def __call__(self) -> float:
        return self.now

    @property
    def sleeping(self) -> int:
        """How many sleeps are waiting for the clock to move."""
        return sum(1 for _, future in self._sleepers if not future.done())

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._sleepers.append((self.now + seconds, future))
        await future

    def advance(self, seconds: float) -> None:
        self.now += seconds
        due = [(at, future) for at, future in self._sleepers if at <= self.now]
        self._sleepers = [(at, future) for at, future in self._sleepers if at > self.now]
        for _, future in due:
            if not future.done():
                future.set_result(None)


async def until(condition: Callable[[], bool], *, steps: int = 2_000) -> None:
    """Let other tasks run until ``condition()`` holds; fails after ``steps`` loop turns (no timing)."""
    for _ in range(steps):
        if condition():
            return
        await asyncio.sleep(0.001)
    raise AssertionError("condition not reached")
