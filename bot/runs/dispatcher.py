"""The dispatcher owns every running workflow.

Bolt starts listeners as untracked fire-and-forget tasks; a run started there would be
cancelled mid-answer on shutdown and nothing would tell the thread. Here every run is a
tracked task with a concurrency cap, one active run per conversation (follow-ups queue in
order), a time budget, and a bounded graceful shutdown: stop intake, let runs finish within
the grace period, then cancel the rest and mark them interrupted in their threads.

Whatever happens to a workflow, its sink receives exactly one terminal event and the run's
row ends in a terminal status.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace

from bot.errors import ShuttingDown
from bot.events import Failed, Interrupted, StatusChanged, TerminalEvent, Usage, WorkflowEvent, is_terminal
from bot.metrics import Metrics
from bot.ports import Sink
from bot.store import Store
from integrations.budget import time_budget

log = logging.getLogger(__name__)

STOPPED = "stopped at your request"


@dataclass(frozen=True)
class RunJob:
    """One run to execute: its events come from `workflow()`, rendered by `sink`."""

    run_id: str
    conversation_id: int
    workflow: Callable[[], AsyncIterator[WorkflowEvent]]
    sink: Sink


class Dispatcher:
    def __init__(
        self,
        store: Store,
        *,
        max_concurrent: int = 8,
        run_timeout: float = 120.0,
        shutdown_grace: float = 20.0,
        metrics: Metrics | None = None,
    ) -> None:
        self._store = store
        self._metrics = metrics
        self._waiting = 0  # runs waiting for a slot or for their thread's earlier run
        self._slots = asyncio.Semaphore(max_concurrent)
        self._run_timeout = run_timeout
        self._grace = shutdown_grace
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._stopped: set[str] = set()  # runs cancelled on request, not by shutdown
        self._threads: dict[int, asyncio.Lock] = {}
        self._closed = False
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def accepting(self) -> bool:
        return not self._closed

    @property
    def active(self) -> int:
        return len(self._tasks)

    @property
    def queued(self) -> int:
        return self._waiting

    @property
    def running(self) -> int:
        return len(self._tasks) - self._waiting

    def submit(self, job: RunJob) -> None:
        """Start `job` as a tracked task; raises ShuttingDown once intake is closed."""
        if self._closed:
            raise ShuttingDown("the bot is restarting; please ask again in a moment")
        if self._metrics is not None:
            job = replace(job, sink=self._metrics.metered(job.sink))
        task = asyncio.create_task(self._run(job), name=f"run-{job.run_id}")
        self._tasks[job.run_id] = task
        self._idle.clear()
        task.add_done_callback(lambda _: self._forget(job.run_id))

    def cancel(self, run_id: str) -> bool:
        """Stop a running or queued run on request; it ends `interrupted`, its partial answer kept.

        False when the run is not in flight here (finished already, or another process owns it).
        """
        task = self._tasks.get(run_id)
        if task is None or task.done():
            return False
        if run_id in self._stopped:
            return True  # already stopping: a second cancel would cut short its ending
        self._stopped.add(run_id)
        task.cancel()
        return True

    async def wait_idle(self) -> None:
        """Wait until no run is in flight (for the console and tests)."""
        await self._idle.wait()

    async def shutdown(self) -> int:
        """Stop intake, wait up to the grace period, cancel what is left. Returns runs interrupted."""
        self._closed = True
        pending = list(self._tasks.values())
        if not pending:
            return 0
        _, still_running = await asyncio.wait(pending, timeout=self._grace)
        for task in still_running:
            task.cancel()
        if still_running:
            await asyncio.gather(*still_running, return_exceptions=True)
        log.info(
            "shutdown: %d run(s) finished, %d interrupted",
            len(pending) - len(still_running),
            len(still_running),
        )
        return len(still_running)

    def _forget(self, run_id: str) -> None:
        self._tasks.pop(run_id, None)
        self._stopped.discard(run_id)
        if not self._tasks:
            self._idle.set()

    async def _run(self, job: RunJob) -> None:
        thread = self._threads.setdefault(job.conversation_id, asyncio.Lock())
        reporter = _Reporter(job.sink, job.run_id)
        try:
            self._waiting += 1
            waiting = True
            try:
                if self._slots.locked() or thread.locked():
                    await reporter.emit(StatusChanged("queued"))
                async with thread, self._slots:
                    self._waiting, waiting = self._waiting - 1, False
                    await self._execute(job, reporter)
            finally:
                if waiting:
                    self._waiting -= 1
        except asyncio.CancelledError:
            event = Interrupted(STOPPED) if job.run_id in self._stopped else Interrupted()
            await self._end(job, reporter, event, "interrupted")
            if job.run_id in self._stopped:
                return  # a stop on request ends this run only; the dispatcher goes on
            raise
        finally:
            if not thread.locked():
                self._threads.pop(job.conversation_id, None)

    async def _execute(self, job: RunJob, reporter: _Reporter) -> None:
        try:
            # The budget lets upstream retries refuse waits the run cannot afford (integrations.budget).
            with time_budget(self._run_timeout):
                async with asyncio.timeout(self._run_timeout):
                    async for event in job.workflow():
                        await reporter.emit(event)
                        if is_terminal(event):
                            return
            await self._end(job, reporter, Failed("the run ended without an answer"), "failed")
        except TimeoutError:
            message = (
                f"no answer within the {self._run_timeout:g} s time budget; please try a narrower question"
            )
            await self._end(job, reporter, Failed(message, retryable=True), "failed")
        except Exception:
            log.exception("run %s crashed", job.run_id)
            await self._end(
                job, reporter, Failed("something went wrong on my side; please try again"), "failed"
            )

    async def _end(self, job: RunJob, reporter: _Reporter, event: TerminalEvent, status: str) -> None:
        """Record and render a terminal outcome the workflow itself did not reach."""
        try:
            error = getattr(event, "message", None)
            await asyncio.shield(
                self._store.finish_run(job.run_id, status=status, usage=Usage(), error=error)  # type: ignore[arg-type]
            )
        except Exception:
            log.exception("could not record the end of run %s", job.run_id)
        if not reporter.ended:
            await reporter.emit(event)


class _Reporter:
    """Forwards events to a sink; a failing sink is logged, never allowed to kill the run."""

    def __init__(self, sink: Sink, run_id: str) -> None:
        self._sink = sink
        self._run_id = run_id
        self.ended = False
        self._broken = False

    async def emit(self, event: WorkflowEvent) -> None:
        if self.ended:
            return
        self.ended = is_terminal(event)
        try:
            await self._sink.emit(event)
        except Exception:
            if not self._broken:
                log.exception("sink failed for run %s; the run goes on and is recorded", self._run_id)
            self._broken = True
