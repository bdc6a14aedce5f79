"""Retention: the app deletes conversations and runs older than RETENTION_DAYS, once an hour.

Every process prunes; the deletes are idempotent, so two processes on one database only
repeat each other's (cheap) work. ``RETENTION_DAYS=0`` keeps everything.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.store import Store, utcnow

log = logging.getLogger(__name__)

PRUNE_INTERVAL_SECONDS = 3600.0

Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]


class Retention:
    def __init__(
        self,
        store: Store,
        *,
        days: int,
        clock: Clock = utcnow,
        sleep: Sleep = asyncio.sleep,
        interval: float = PRUNE_INTERVAL_SECONDS,
    ) -> None:
        self._store = store
        self._days = days
        self._clock = clock
        self._sleep = sleep
        self._interval = interval
        self._task: asyncio.Task[None] | None = None
        self._pruning = False
        self._stopping = False

    def start(self) -> Retention:
        """Run in the background until ``aclose``; a no-op when retention is off."""
        if self.enabled and self._task is None:
            self._task = asyncio.create_task(self.run(), name="retention")
        return self

    async def aclose(self) -> None:
        """Stop: at once while it waits; after the pass in progress otherwise, because cancelling
        a task inside a database call can leak its connection."""
        if self._task is None:
            return
        self._stopping = True
        if not self._pruning:
            self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    @property
    def enabled(self) -> bool:
        return self._days > 0

    async def prune_once(self) -> Counter[str]:
        """Delete what is older than the window now; returns the rows deleted per table."""
        if not self.enabled:
            return Counter()
        deleted = await self._store.prune(self._clock() - timedelta(days=self._days))
        if deleted:
            log.info("retention pruned rows", extra={"deleted": dict(deleted), "days": self._days})
        return deleted

    async def run(self) -> None:
        """Prune now and then every interval, until cancelled; a failed pass is logged and retried."""
        while self.enabled and not self._stopping:
            self._pruning = True
            try:
                await self.prune_once()
            except Exception:  # a busy or unreachable database must not end the loop for good
                log.warning("retention pass failed; trying again later", exc_info=True)
            finally:
                self._pruning = False
            if self._stopping:
                return
            await self._sleep(self._interval)
