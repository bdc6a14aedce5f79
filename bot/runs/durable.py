"""Runs as durable workflows: every run is a DBOS workflow, enqueued on this app's queue.

A run is ordered (``RunOrder``: its id, conversation, program, payload and ``Origin``) and
enqueued under its own id, so a duplicated delivery finds the existing workflow instead of
starting another. The queue gives each process its cap (``MAX_CONCURRENT_RUNS``) and each
conversation its order, fleet-wide: two follow-ups in one thread run one after the other,
different threads at once. Whichever process dequeues the run looks up its *program* (what
the run does: ask, resume, draft …) and rebuilds its sink from the origin through the edge's
``SinkRouter``.

Inside the workflow, what must not happen twice is a step (``bot.runs.engine.step``: the model's
requests, tool reads, filing proposals); the rest is re-run on recovery and is idempotent.
Whatever happens, the sink receives exactly one terminal event and the run's row ends in a
terminal status — except on shutdown: a run still going when the grace period ends is left
unfinished, to be resumed by the next process with the same executor id (or by an operator's
``chatops runs recover``). A resumed run retires the message its first attempt left half-written
and answers again from its checkpoints: one complete answer, no "ask again".

A run ends with its program. What Slack has not taken of its answer by then is awaited by a
workflow of its own (``delivery-<run id>``): the run's queue place goes to the next run while the
budget drains, a crash mid-delivery still ends with the recorded answer in Slack, and the next run
in the thread shows nothing before the delivery ahead of it is over.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from dbos import DBOS, SetEnqueueOptions, SetWorkflowID, WorkflowHandleAsync
from dbos._error import DBOSWorkflowCancelledError, DBOSWorkflowConflictIDError

from bot.errors import ShuttingDown
from bot.events import Failed, Finished, Interrupted, TerminalEvent, Usage, WorkflowEvent, is_terminal
from bot.log import log_context
from bot.metrics import Metrics
from bot.ports import Origin, Sink, SinkRouter
from bot.runs.engine import SLACK_APP, Engine, QueueSpec, outside_runs
from bot.runs.executors import Heartbeat
from bot.store import RunRecord, Store
from integrations.budget import time_budget
from integrations.memo import reads_once

log = logging.getLogger(__name__)

STOPPED = "stopped at your request"
RUN_QUEUE = "runs"
Program = Callable[[Any], AsyncIterator[WorkflowEvent]]


@dataclass(frozen=True)
class RunOrder:
    """One run to execute: ``programs[program](payload)`` yields its events, rendered for ``origin``.

    Pickled into the system database: fields are primitives and frozen dataclasses; renaming
    one means bumping ``RUNS_VERSION``.
    """

    run_id: str
    conversation_id: int
    program: str
    payload: Any
    origin: Origin
    kind: str = ""  # what started it (ask, mention, followup, dm, approval …), for the logs


# A run thinks (model, tools) only while it holds one of this process's MAX_CONCURRENT_RUNS thinking
# slots; the queue lets a process hold this many times more, so the next run is here when a slot
# frees. Not more: what a process dequeues, no other process of the fleet can take. A run past its
# thinking gives its place back (its delivery goes on in a workflow of its own).
RUNS_PER_THINKING_SLOT = 2


def run_queue(max_concurrent: int, fleet_cap: int | None = None, *, app_name: str = SLACK_APP) -> QueueSpec:
    """The runs' queue: room per process for ``max_concurrent`` runs thinking and more delivering,
    an optional fleet cap on runs in flight, one run at a time per conversation."""
    return QueueSpec(
        queue_name(app_name),
        worker_concurrency=max_concurrent * RUNS_PER_THINKING_SLOT,
        global_concurrency=fleet_cap,
        partitioned=True,
    )


def queue_name(app_name: str) -> str:
    """The runs' queue of ``app_name``. DBOS wants a queue name unique among the applications on
    one system database, and every terminal session is an application of its own."""
    return RUN_QUEUE if app_name == SLACK_APP else f"{RUN_QUEUE}-{app_name}"


class Runs:
    """This process's side of the runs: enqueues them, runs what it dequeues, stops and drains."""

    def __init__(
        self,
        store: Store,
        engine: Engine | None = None,
        *,
        thinking: int = 8,
        run_timeout: float = 120.0,
        shutdown_grace: float = 20.0,
        metrics: Metrics | None = None,
        queue: str = RUN_QUEUE,
    ) -> None:
        self._store = store
        self._queue = queue  # the engine's run queue (``run_queue``), where ``submit`` enqueues
        self._thinking = asyncio.Semaphore(thinking)  # runs whose program is going, in this process
        self._waiting: set[str] = set()  # runs here waiting for a thinking slot
        self._streams: dict[str, _EventStream] = {}  # a run's events on their way to its sink
        self._deliveries: dict[str, _EventStream] = {}  # runs that have ended, Slack still taking them
        self._delivering: dict[str, asyncio.Task[Any]] = {}  # their delivery workflows here
        self._latest: dict[int, _EventStream] = {}  # per conversation, its newest stream here
        self.engine = engine
        self._metrics = metrics
        self._run_timeout = run_timeout
        self._grace = shutdown_grace
        self._programs: dict[str, Program] = {}
        self._routes: dict[str, SinkRouter] = {}
        self._tasks: dict[str, asyncio.Task[Any]] = {}
        self._stopped: set[str] = set()  # runs stopped on request, not by shutdown
        # Enqueued here and not started here yet, with when; a run another process dequeued is
        # forgotten once it must have ended (it is no longer this process's business).
        self._enqueued: dict[str, float] = {}
        self._ended: dict[str, float] = {}  # runs that ended here lately, with when
        self._closed = False
        self._started = False
        self._heartbeat: Heartbeat | None = None
        self._idle = asyncio.Event()
        self._idle.set()

    # -- wiring ----------------------------------------------------------------------------------

    def program(self, name: str, program: Program) -> None:
        """What a run named ``name`` does with its payload (registered by its owner at start-up)."""
        self._programs[name] = program

    def route(self, surface: str, router: SinkRouter) -> None:
        """The edge that renders runs from ``surface`` in this process."""
        self._routes[surface] = router

    async def start(self) -> None:
        """Launch the engine (once): from here on this process runs what it dequeues, and first
        what its executor left unfinished. Route the edges before, so those find their sinks."""
        global _current
        if self._started:
            return
        self._started = True
        _current = self
        if self.engine is not None:
            # Beat first: a restart on the same id must not look like a departure to the fleet's
            # sweepers while DBOS resumes this executor's own runs.
            self._heartbeat = Heartbeat(self._store, self.engine.executor_id, self.engine.app_name)
            await self._heartbeat.start()
            await self.engine.start()

    # -- gauges ----------------------------------------------------------------------------------

    @property
    def accepting(self) -> bool:
        return not self._closed

    @property
    def running(self) -> int:
        return len(self._tasks)

    @property
    def queued(self) -> int:
        return len(self._enqueued)

    # -- submitting and stopping -----------------------------------------------------------------

    async def submit(self, order: RunOrder) -> None:
        """Enqueue ``order`` under its run id (a second submit of the same id finds the first)."""
        if self._closed:
            raise ShuttingDown("the bot is restarting; please ask again in a moment")
        await self.start()
        self._prune_enqueued()
        self._enqueued[order.run_id] = time.monotonic()
        self._idle.clear()
        with SetWorkflowID(order.run_id), SetEnqueueOptions(queue_partition_key=str(order.conversation_id)):
            handle = await DBOS.enqueue_workflow_async(self._queue, run_workflow, order)
        status = await handle.get_status()
        # DBOS records a workflow's end a moment after its code returns: a run that ended here
        # a moment ago may still read as PENDING.
        if status.status not in ("ENQUEUED", "PENDING") or order.run_id in self._ended:
            self._forget_enqueued(order.run_id)  # a duplicate of a run that has ended

    def stop_local(self, run_id: str) -> bool:
        """Stop a run this process is executing (Slack's own Stop on its stream); False if not here."""
        task = self._tasks.get(run_id)
        if task is None or task.done():
            return False
        stream = self._streams.get(run_id)
        if stream is not None and stream.ended:
            return True  # it has answered; only the delivery is left, and that is not cut short
        if run_id not in self._stopped:  # a second cancel would cut short its ending
            self._stopped.add(run_id)
            task.cancel()
        return True

    async def stop(self, run_id: str) -> bool:
        """Stop a run on its asker's request, wherever it runs; False when it is not in flight.

        Here: its task is cancelled and it ends at once. Elsewhere in the fleet: DBOS cancels the
        workflow, and the process running it ends it at its next step. Still queued: it never starts.
        """
        if self.stop_local(run_id):
            return True
        if not self._started:
            return False
        status = await DBOS.get_workflow_status_async(run_id)
        if status is None or status.status not in ("ENQUEUED", "PENDING"):
            return False
        await DBOS.cancel_workflow_async(run_id)
        # Still queued, or dequeued here a moment ago but not started (DBOS cancels its task before
        # it runs a line): nobody will end it, so its end is recorded here.
        here = self.engine is not None and status.executor_id == self.engine.executor_id
        if status.status == "ENQUEUED" or here:  # here, yet not running (stop_local found none)
            self._forget_enqueued(run_id)
            await self._store.finish_run(run_id, status="interrupted", usage=Usage(), error=STOPPED)
        return True

    async def wait_idle(self) -> None:
        """Wait until no run submitted or executing here is in flight (the console and tests)."""
        await self._idle.wait()

    async def shutdown(self) -> int:
        """Stop intake, let runs finish within the grace period, then leave the rest to be resumed.

        Nothing is posted: a run cut off here is unfinished, not failed, and the next process
        with this executor id (or ``chatops runs recover``) finishes it in its thread.
        """
        self._closed = True
        for run_id in self._waiting:  # not begun: left as they are, for the next process
            self._tasks[run_id].cancel()
        pending = [*self._tasks.values(), *self._delivering.values()]
        left: set[asyncio.Task[Any]] = set()
        if pending:
            _, left = await asyncio.wait(pending, timeout=self._grace)
            for task in left:
                task.cancel()
            await asyncio.gather(*left, return_exceptions=True)
            log.info("shutdown: %d run(s) finished, %d left to resume", len(pending) - len(left), len(left))
        if self._heartbeat is not None:
            await self._heartbeat.stop()
        if self.engine is not None and self._started:
            await self.engine.stop()
        global _current
        if _current is self:
            _current = None
        return len(left)

    # -- executing (inside the workflow) ---------------------------------------------------------

    async def execute(self, order: RunOrder, *, delivering: bool = False) -> None:
        """Run ``order`` here (inside its workflow); ``delivering``: only deliver its recorded end
        again, for a delivery resumed after the process that ran it went away."""
        task = asyncio.current_task()
        assert task is not None
        if self._closed:
            # Dequeued while draining: stay unfinished for the next process, start nothing here.
            raise asyncio.CancelledError
        self._tasks[order.run_id] = task
        self._idle.clear()  # also for a run resumed here, which no submit announced
        self._forget_enqueued(order.run_id)
        origin = order.origin
        try:
            # Every record the run logs names it and its thread, in whichever process runs it.
            with log_context(
                run_id=order.run_id,
                team=origin.team_id,
                channel=origin.channel_id,
                thread_ts=origin.thread_ts,
                kind=order.kind or order.program,
            ):
                await self._execute(order, delivering=delivering)
        finally:
            self._tasks.pop(order.run_id, None)
            self._ended[order.run_id] = time.monotonic()
            self._stopped.discard(order.run_id)
            self._check_idle()

    async def _execute(self, order: RunOrder, *, delivering: bool = False) -> None:
        stream: _EventStream | None = None
        try:
            opened = await self._open(order)
            if opened is None:
                return
            run, stream = opened
            if run.finished:
                await self._end(order, stream, await self._recorded_end(run), run.status)
            elif delivering:  # a delivery starts only after its run's end is recorded
                log.error("run %s: a delivery found its run unfinished (%s)", order.run_id, run.status)
                stream.abandon()
                return
            else:
                await self._program(order, stream)
            if delivering:
                await stream.delivered()
            else:
                await self._hand_over(order, stream)
        except (asyncio.CancelledError, DBOSWorkflowCancelledError, DBOSWorkflowConflictIDError):
            # This execution was stopped: by Stop here, by a cancel from elsewhere (seen at a step
            # as a cancel, or as lost ownership when it lands while the step records), or by
            # shutdown — which leaves the run unfinished, to be resumed, and says nothing.
            if order.run_id not in self._stopped and not await self._cancelled_elsewhere(order.run_id):
                if stream is not None:
                    stream.abandon()
                raise
            if stream is None:  # stopped before it showed anything: nothing to take back or say
                await asyncio.shield(
                    self._store.finish_run(order.run_id, status="interrupted", usage=Usage(), error=STOPPED)
                )
                return
            await self._end(order, stream, Interrupted(STOPPED), "interrupted")
            await stream.delivered()
        finally:
            self._streams.pop(order.run_id, None)
            if stream is not None and order.run_id not in self._deliveries:
                self._forget_latest(order.conversation_id, stream)

    async def _hand_over(self, order: RunOrder, stream: _EventStream) -> None:
        """The run has said its last word. If Slack has not taken all of it yet, a workflow of its
        own waits for that, durably, and the run gives its place in the queue to the next."""
        if stream.done:
            return
        self._deliveries[order.run_id] = stream
        try:
            # Started from outside the run, so it is no step of it: the same id again (the run
            # resumed before DBOS recorded its end) finds the delivery instead of a second one.
            started = asyncio.create_task(_start_delivery(order), context=outside_runs())
            await asyncio.shield(started)
        except Exception:
            log.exception("run %s: could not hand its delivery over; delivering it in the run", order.run_id)
            self._deliveries.pop(order.run_id, None)
            await stream.delivered()

    async def deliver(self, order: RunOrder) -> None:
        """Inside a delivery workflow: wait until Slack has the run's whole answer."""
        stream = self._deliveries.get(order.run_id)
        if stream is None:  # resumed after the process that ran it went away
            await self.execute(order, delivering=True)
            return
        task = asyncio.current_task()
        assert task is not None
        self._delivering[order.run_id] = task
        try:
            await stream.delivered()
        except asyncio.CancelledError:
            stream.abandon()  # shutdown: the next process retires what was shown and delivers again
            raise
        finally:
            self._deliveries.pop(order.run_id, None)
            self._delivering.pop(order.run_id, None)
            self._forget_latest(order.conversation_id, stream)
            self._check_idle()

    async def _predecessor(self, order: RunOrder) -> Callable[[], Awaitable[None]] | None:
        """What the run's rendering must wait for: the delivery of the answer before it in its
        thread, which may still be going on (here, or in another process of the fleet)."""
        prior = self._latest.get(order.conversation_id)
        if prior is not None:
            return None if prior.done else prior.finished
        ids = [run.id for run in await self._store.runs(order.conversation_id)]
        if order.run_id not in ids or ids.index(order.run_id) == 0:
            return None
        return functools.partial(_delivered, delivery_id(ids[ids.index(order.run_id) - 1]))

    def _forget_latest(self, conversation_id: int, stream: _EventStream) -> None:
        if self._latest.get(conversation_id) is stream:
            del self._latest[conversation_id]

    async def _open(self, order: RunOrder) -> tuple[RunRecord, _EventStream] | None:
        """The run as stored and the stream to its sink; None when there is nothing to do."""
        run = await self._store.get_run(order.run_id)
        if run is None:
            return None  # pruned
        router = self._routes.get(order.origin.surface)
        if router is None:
            log.error("run %s: no %r edge in this process", order.run_id, order.origin.surface)
            await self._store.finish_run(order.run_id, status="failed", usage=Usage(), error="no edge")
            return None
        if run.status == "running" or run.finished:
            # A resumed run: its first attempt may have begun an answer. One that had even finished
            # died before DBOS recorded it, perhaps while Slack still had its answer to take.
            await router.retire(order.origin, order.run_id)
        sink = router.sinks(order.origin)(order.run_id)
        if self._metrics is not None:
            sink = self._metrics.metered(sink)
        after = await self._predecessor(order)
        stream = self._streams[order.run_id] = _EventStream(_Reporter(sink, order.run_id), after=after)
        self._latest[order.conversation_id] = stream
        return run, stream

    async def _program(self, order: RunOrder, reporter: _EventStream) -> None:
        """Think: the program's events go to the stream without waiting on the sink, and the
        thinking slot is given back as soon as the program has said its last word."""
        program = self._programs.get(order.program)
        if program is None:
            await self._end(order, reporter, Failed(f"unknown run kind {order.program!r}"), "failed")
            return
        try:
            async with self._thinking_slot(order.run_id):
                # The budget lets upstream retries refuse waits the run cannot afford (integrations.budget);
                # what the run reads once (its prefetch) its tools get again without a request.
                with time_budget(self._run_timeout), reads_once():
                    async with asyncio.timeout(self._run_timeout):
                        async for event in program(order.payload):
                            await reporter.emit(event)
                            if is_terminal(event):
                                return
            await self._end(order, reporter, Failed("the run ended without an answer"), "failed")
        except TimeoutError:
            message = (
                f"no answer within the {self._run_timeout:g} s time budget; please try a narrower question"
            )
            await self._end(order, reporter, Failed(message, retryable=True), "failed")
        except Exception:  # not a stop: those are BaseExceptions, handled by _execute
            log.exception("run %s crashed", order.run_id)
            await self._end(
                order, reporter, Failed("something went wrong on my side; please try again"), "failed"
            )

    @contextlib.asynccontextmanager
    async def _thinking_slot(self, run_id: str) -> AsyncIterator[None]:
        self._waiting.add(run_id)
        try:
            await self._thinking.acquire()
        finally:
            self._waiting.discard(run_id)
        try:
            if self._closed:  # the slot came free while draining: leave the run for the next process
                raise asyncio.CancelledError
            yield
        finally:
            self._thinking.release()

    async def _recorded_end(self, run: RunRecord) -> TerminalEvent:
        """The terminal event a finished run's record stands for, to deliver it again."""
        if run.status == "succeeded":
            return Finished(await self._store.answer(run.id) or "", run.usage)
        if run.status == "failed":
            return Failed(run.error or "the run failed", usage=run.usage)
        return Interrupted(run.error or STOPPED)

    async def _end(self, order: RunOrder, reporter: _EventStream, event: TerminalEvent, status: str) -> None:
        """Record and render a terminal outcome the program itself did not reach."""
        try:
            error = getattr(event, "message", None)
            await asyncio.shield(
                self._store.finish_run(order.run_id, status=status, usage=Usage(), error=error)  # type: ignore[arg-type]
            )
        except Exception:
            log.exception("could not record the end of run %s", order.run_id)
        if not reporter.ended:
            await reporter.emit(event)

    async def _cancelled_elsewhere(self, run_id: str) -> bool:
        """The run was cancelled in DBOS (by a Stop or an operator elsewhere in the fleet)."""
        if self._closed:
            return False
        # Read as an outsider: inside the run DBOS would record the read as one of its steps, and
        # a cancelled run takes no more steps.
        read = DBOS.get_workflow_status_async(run_id)
        status = await asyncio.create_task(read, context=contextvars.Context())
        return status is not None and status.status == "CANCELLED"

    def _forget_enqueued(self, run_id: str) -> None:
        self._enqueued.pop(run_id, None)
        self._check_idle()

    def _prune_enqueued(self) -> None:
        stale = time.monotonic() - 2 * self._run_timeout
        for run_id in [run_id for run_id, at in self._enqueued.items() if at < stale]:
            del self._enqueued[run_id]
        for run_id in [run_id for run_id, at in self._ended.items() if at < stale]:
            del self._ended[run_id]

    def _check_idle(self) -> None:
        if not self._tasks and not self._enqueued and not self._deliveries:
            self._idle.set()


_current: Runs | None = None


@DBOS.workflow(name="chatops.run")
async def run_workflow(order: RunOrder) -> str:
    """Every run, whatever its program: executed by this process's ``Runs``."""
    if _current is None:
        raise RuntimeError("a run was dequeued before this process's runs were started")
    await _current.execute(order)
    return order.run_id


def delivery_id(run_id: str) -> str:
    """The workflow that finishes delivering run ``run_id``'s answer after the run has ended."""
    return f"delivery-{run_id}"


@DBOS.workflow(name="chatops.delivery")
async def delivery_workflow(order: RunOrder) -> str:
    """The rest of a run's delivery: its own workflow, so the run's queue place is free meanwhile
    and a crash still ends with the whole answer in Slack."""
    if _current is None:
        raise RuntimeError("a delivery started before this process's runs were started")
    await _current.deliver(order)
    return order.run_id


async def _start_delivery(order: RunOrder) -> None:
    with SetWorkflowID(delivery_id(order.run_id)):
        await DBOS.start_workflow_async(delivery_workflow, order)


async def _delivered(workflow_id: str) -> None:
    """Wait for a delivery workflow anywhere in the fleet (none, or ended: at once)."""
    status = await DBOS.get_workflow_status_async(workflow_id)
    if status is None or status.status not in ("ENQUEUED", "PENDING"):
        return
    handle: WorkflowHandleAsync[Any] = await DBOS.retrieve_workflow_async(workflow_id)
    with contextlib.suppress(Exception):
        await handle.get_result()


class _EventStream:
    """A run's events between its program and its sink: the program hands them over without
    waiting, and one task renders them in order, as fast as the sink (Slack's budget) allows.

    A sink that falls behind is handed what piled up at once: the Slack sink coalesces the text.
    The rendering task runs outside the workflow: nothing a sink does can pass for a run's step.
    """

    def __init__(self, reporter: _Reporter, *, after: Callable[[], Awaitable[None]] | None = None) -> None:
        self._reporter = reporter
        self._after = after  # the delivery of the answer before this one in the thread
        self._events: asyncio.Queue[WorkflowEvent | None] = asyncio.Queue()
        self.ended = False  # the terminal event has been handed over
        self._task = asyncio.create_task(
            self._render(), name=f"render-{reporter.run_id}", context=outside_runs()
        )

    async def emit(self, event: WorkflowEvent) -> None:
        if self.ended:
            return
        self.ended = is_terminal(event)
        self._events.put_nowait(event)

    async def delivered(self) -> None:
        """Wait until the sink has rendered everything handed over, the terminal event last."""
        if not self.ended:
            self._events.put_nowait(None)  # every run ends with a terminal event; never hang without
        await asyncio.shield(self._task)

    @property
    def done(self) -> bool:
        """The sink has rendered all it will (or rendering was abandoned)."""
        return self._task.done()

    async def finished(self) -> None:
        """Wait until rendering is over, however it ended."""
        await asyncio.wait([self._task])

    def abandon(self) -> None:
        """Stop rendering (shutdown): the run is resumed elsewhere, which retires what was shown."""
        self._task.cancel()

    async def _render(self) -> None:
        if self._after is not None:  # an answer never overtakes the one before it in its thread
            try:
                await self._after()
            except Exception:
                log.exception("run %s: waiting for the answer before it failed", self._reporter.run_id)
        while (event := await self._events.get()) is not None:
            await self._reporter.emit(event)
            if is_terminal(event):
                return


class _Reporter:
    """Forwards events to a sink; a failing sink is logged, never allowed to kill the run."""

    def __init__(self, sink: Sink, run_id: str) -> None:
        self._sink = sink
        self.run_id = run_id
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
                log.exception("sink failed for run %s; the run goes on and is recorded", self.run_id)
            self._broken = True


Task = Callable[[Any], Awaitable[Any]]
_tasks: dict[str, Task] = {}


def task(name: str, fn: Task) -> None:
    """Register a durable task: a short piece of work that must finish once even across a crash
    (e.g. an approved write and what follows it). Its steps are checkpointed like a run's."""
    _tasks[name] = fn


async def run_once(workflow_id: str, name: str, payload: Any) -> Any:
    """Run task ``name`` here as the workflow ``workflow_id`` and return its result; the same id
    a second time returns the first execution's result instead of running it again."""
    with SetWorkflowID(workflow_id):
        handle = await DBOS.start_workflow_async(task_workflow, name, payload)
    return await handle.get_result()


@DBOS.workflow(name="chatops.task")
async def task_workflow(name: str, payload: Any) -> Any:
    fn = _tasks.get(name)
    if fn is None:
        raise RuntimeError(f"no durable task {name!r} in this process")
    return await fn(payload)
