"""Adoption: the live processes of the fleet finish the runs of an executor that is gone.

A process that drained (SIGTERM, grace period over) leaves its unfinished runs PENDING under its
executor id, and so does one that died. DBOS resumes them only when a process with that same id
starts again, which never happens when ids change with every deploy (a Deployment's pod names)
or a replica is scaled away. So every process sweeps the executors' heartbeats and hands over
the runs of an executor of its app that

- **left** (its row records a clean exit) more than ``left_after`` seconds ago, or
- has been **silent** for ``silent_after`` seconds: far longer than any pause of a live process,
  because a live executor's runs handed over would be answered twice.

One sweeper wins each executor (a claim in the database), puts its PENDING runs back on their
queue and partition (``RunControl.recover``, steps kept) and removes its row, unless it beat
again meanwhile. A process that starts announces itself before DBOS resumes its own runs, so a
restart on the same id is not mistaken for a departure.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.runs.control import RunControl
from bot.store import Store, utcnow

log = logging.getLogger(__name__)

SWEEP_SECONDS = 5.0
LEFT_AFTER_SECONDS = 5.0
SILENT_AFTER_SECONDS = 120.0


class Adoption:
    """Sweeps every ``every`` seconds for executors of ``app_name`` that are gone (not ``me``)."""

    def __init__(
        self,
        control: RunControl,
        store: Store,
        *,
        app_name: str,
        me: str,
        every: float = SWEEP_SECONDS,
        left_after: float = LEFT_AFTER_SECONDS,
        silent_after: float = SILENT_AFTER_SECONDS,
    ) -> None:
        self._control = control
        self._store = store
        self._app_name = app_name
        self._me = me
        self._every = every
        self._left_after = left_after
        self._silent_after = silent_after
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._sweeping(), name="adoption")

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._control.close()

    async def sweep(self) -> list[str]:
        """Hand over the runs of every executor that is gone; the ids of the runs handed over."""
        handed: list[str] = []
        now = utcnow()
        for executor in await self._store.executors():
            if executor.executor_id == self._me or executor.app_name != self._app_name:
                continue
            left = (
                executor.left_at is not None and (now - executor.left_at).total_seconds() > self._left_after
            )
            if not left and executor.silent_for(now) <= self._silent_after:
                continue
            # One sweeper per departure: the key names the last beat, so a later life is new.
            if not await self._store.claim(f"adopt:{executor.executor_id}:{executor.beat_at.isoformat()}"):
                continue
            states = await self._control.recover(executor.executor_id, force=True)
            await self._store.forget_executor(executor.executor_id, executor.beat_at)
            handed.extend(state.workflow_id for state in states)
            if states:
                log.warning(
                    "executor %s is gone (%s): its %d unfinished run(s) go to the fleet",
                    executor.executor_id,
                    "left" if left else "silent",
                    len(states),
                )
        return handed

    async def _sweeping(self) -> None:
        while True:
            await asyncio.sleep(self._every)
            try:
                await self.sweep()
            except Exception:
                log.exception("adoption sweep failed")
