"""This process's heartbeat: how the fleet tells a live executor from a dead one.

Open-source DBOS records which executor runs a workflow but not whether that executor is still
alive, so a process killed outright leaves its runs PENDING under its id with nothing to say it
is gone. While its engine runs, a process writes its row in ``executors`` and moves ``beat_at``
every few seconds; ``chatops runs recover`` refuses to hand over the runs of an executor whose
beat is fresh (``bot.runs.control``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket

from bot.store import Store

log = logging.getLogger(__name__)

BEAT_SECONDS = 5.0


class Heartbeat:
    """Beats for ``executor_id`` every ``every`` seconds between ``start()`` and ``stop()``."""

    def __init__(self, store: Store, executor_id: str, app_name: str, every: float = BEAT_SECONDS) -> None:
        self._store = store
        self.executor_id = executor_id
        self.app_name = app_name
        self.every = every
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Record that this executor runs here now, then keep beating in a task of its own."""
        if self._task is not None:
            return
        await self._announce()
        self._task = asyncio.create_task(self._beat(), name=f"heartbeat {self.executor_id}")

    async def stop(self) -> None:
        """Stop beating and record a clean exit (the runs left PENDING may be recovered at once)."""
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        try:
            await self._store.executor_left(self.executor_id)
        except Exception:
            log.warning("could not record that executor %s left", self.executor_id, exc_info=True)

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self.every)
            try:
                if not await self._store.executor_beat(self.executor_id):
                    await self._announce()  # the first write failed, or the row was removed
            except Exception:
                # A database hiccup must not stop the runs; a missed beat only looks older.
                log.warning("heartbeat of executor %s failed", self.executor_id, exc_info=True)

    async def _announce(self) -> None:
        try:
            await self._store.executor_started(
                self.executor_id, app_name=self.app_name, host=socket.gethostname(), pid=os.getpid()
            )
        except Exception:
            log.warning("could not record executor %s", self.executor_id, exc_info=True)
