"""GitHub's search API has its own limit (30 requests a minute), kept on our side.

A sliding one-minute window: when it is full the next search waits for the oldest request to
age out, if the run can afford the wait; otherwise it fails at once with "rate limited, try
again in N s", which is better than spending a minute of the person's time on a 403.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable

from integrations import budget
from integrations.retry import rate_limited

SEARCHES_PER_MINUTE = 30
WINDOW = 60.0
MAX_WAIT = 10.0  # outside a time budget


class SearchLimiter:
    def __init__(
        self,
        *,
        per_minute: int = SEARCHES_PER_MINUTE,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._per_minute = per_minute
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        """Wait for a free slot in the window (or raise RateLimited), then take it."""
        async with self._lock:
            self._forget_old()
            if len(self._sent) >= self._per_minute:
                wait = self._sent[0] + WINDOW - self._clock()
                left = budget.remaining()
                if wait > (MAX_WAIT if left is None else left):
                    raise rate_limited(
                        "github",
                        wait,
                        status=None,
                        detail=f"searches are limited to {self._per_minute} a minute",
                    )
                await self._sleep(wait)
                self._forget_old()
            self._sent.append(self._clock())

    def _forget_old(self) -> None:
        horizon = self._clock() - WINDOW
        while self._sent and self._sent[0] <= horizon:
            self._sent.popleft()
