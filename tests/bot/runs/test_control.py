"""Operators' control of the runs (RunControl on a DBOSClient) against real engines, on SQLite and
PostgreSQL: each run's DBOS status, executor and recorded steps; cancel; resume; and the hand-over
of a dead executor's runs — refused while it beats, then finished by the next process from its
checkpoints, in its conversation's partition, the finished read not done again."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bot.events import Finished, Interrupted, TextDelta, WorkflowEvent, is_terminal
from bot.ports import Origin
from bot.runs.control import SILENT_SECONDS, ControlError, RunControl
from bot.runs.durable import STOPPED, Program, RunOrder, Runs, run_once, run_queue, task
from bot.runs.engine import Engine, step
from bot.store.store import Store
from tests.bot.runs.test_durable import Recorders
from tests.manual_clock import until

APP, SURFACE, TEAM, CHANNEL, USER = "chatops-test", "test", "T1", "C1", "U1"
STEPS = 20_000

StartBot = Callable[..., Awaitable[Runs]]


class Probe:
    """A run that marks itself running, reads once (a step), waits for its gate, then answers
    with what it read: a resumed run that answers "read #1" took the read from its checkpoint."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.reads = 0
        self.gate = asyncio.Event()
        self.waiting = asyncio.Event()

    async def read(self) -> str:
        self.reads += 1
        return f"read #{self.reads}"

    async def program(self, run_id: str) -> AsyncIterator[WorkflowEvent]:
        await self._store.mark_running(run_id)
        seen = await step("probe.read", self.read)
        yield TextDelta(f"{seen}, ")
        self.waiting.set()
        await self.gate.wait()
        yield Finished(seen)


@pytest.fixture
def recorders() -> Recorders:
    return Recorders()


@pytest.fixture
async def start_bot(store: Store, database_url: str, recorders: Recorders) -> AsyncIterator[StartBot]:
    """Starts a process's runs under an executor id; one at a time, as DBOS is one per process."""
    made: list[Runs] = []

    async def start(executor: str, programs: dict[str, Program]) -> Runs:
        engine = Engine.beside(database_url, app_name=APP, executor_id=executor, queues=[run_queue(8)])
        runs = Runs(store, engine, run_timeout=30.0, shutdown_grace=0.1)
        runs.route(SURFACE, recorders)
        for name, program in programs.items():
            runs.program(name, program)
        await runs.start()
        made.append(runs)
        return runs

    yield start
    for runs in made:
        await runs.shutdown()


async def _stop(runs: Runs) -> None:
    """Shut a process's runs down, as its process would before it exits."""
    await runs.shutdown()
    # DBOS.destroy shuts down the thread pool it made the loop's default executor; a real
    # process exits here, this test's loop goes on (to_thread, another process's engine).
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor())


@contextlib.asynccontextmanager
async def control(store: Store, database_url: str) -> AsyncIterator[RunControl]:
    opened = await RunControl.open(store, database_url, app_name=APP)
    try:
        yield opened
    finally:
        opened.close()


async def _order(store: Store, program: str, *, thread: str = "1.0") -> RunOrder:
    conversation = await store.open_conversation(TEAM, CHANNEL, thread)
    run_id = await store.create_run(conversation, trigger="ask", user_id=USER)
    return RunOrder(run_id, conversation, program, run_id, Origin(SURFACE, TEAM, CHANNEL, thread, USER))


async def _queue(runs: Runs, run_id: str) -> tuple[str | None, str | None]:
    """The queue a run was dequeued from, and its partition there (its conversation)."""
    engine = runs.engine
    assert engine is not None

    def read() -> tuple[str | None, str | None]:
        client = engine.client()
        try:
            (status,) = client.list_workflows(workflow_ids=[run_id], load_input=False, load_output=False)
            return status.queue_name, status.queue_partition_key
        finally:
            client.destroy()

    return await asyncio.to_thread(read)


async def test_a_dead_executors_run_is_refused_while_it_beats_then_finished_by_another_from_its_checkpoints(
    start_bot: StartBot, store: Store, database_url: str, recorders: Recorders
) -> None:
    probe = Probe(store)
    first = await start_bot("replica-1", {"probe": probe.program})
    order = await _order(store, "probe")
    await first.submit(order)
    await asyncio.wait_for(probe.waiting.wait(), timeout=30)

    async with control(store, database_url) as operator:
        with pytest.raises(ControlError) as refused:
            await operator.recover("replica-1")
        assert all(part in str(refused.value) for part in ("replica-1", "pid", "s ago", "--force"))
        assert await _queue(first, order.run_id) == ("runs", str(order.conversation_id))

        await _stop(first)  # its run is left PENDING under replica-1, its exit recorded
        second = await start_bot("replica-2", {"probe": probe.program})
        await asyncio.sleep(0.3)  # three queue polls: the new process leaves the other's run alone
        (left,) = (await operator.workflows([order.run_id])).values()
        assert (left.status, left.executor_id, left.steps) == ("PENDING", "replica-1", 1)

        probe.gate.set()
        (handed,) = await operator.recover("replica-1")
        assert handed.workflow_id == order.run_id
        await asyncio.wait_for(recorders[order.run_id].done.wait(), timeout=30)

        await _reaches(operator, order.run_id, "SUCCESS")
        (done,) = (await operator.workflows([order.run_id])).values()

    assert (done.status, done.executor_id) == ("SUCCESS", "replica-2")
    queue = await _queue(second, order.run_id)
    assert queue == ("runs", str(order.conversation_id)), "back on its queue, in its thread's partition"
    assert probe.reads == 1, "the finished read came from its checkpoint"
    assert [e for e in recorders[order.run_id].events if is_terminal(e)] == [Finished("read #1")]
    assert recorders.retired == [(order.origin, order.run_id)], "its first attempt's message is retired"
    run = await store.get_run(order.run_id)
    assert run is not None and run.status == "running"  # the probe does not record its answer


async def test_force_hands_over_an_executor_that_beat_a_moment_ago(
    start_bot: StartBot, store: Store, database_url: str, recorders: Recorders
) -> None:
    probe = Probe(store)
    first = await start_bot("replica-1", {"probe": probe.program})
    order = await _order(store, "probe")
    await first.submit(order)
    await asyncio.wait_for(probe.waiting.wait(), timeout=30)
    await _stop(first)
    # Killed right after a beat: its row says it is alive, and it is not.
    await store.executor_started("replica-1", app_name=APP, host="gone-host", pid=4242)
    await start_bot("replica-2", {"probe": probe.program})
    probe.gate.set()

    async with control(store, database_url) as operator:
        with pytest.raises(ControlError, match=r"replica-1 \(host gone-host, pid 4242\) beat \d+ s ago"):
            await operator.recover("replica-1")
        handed = await operator.recover("replica-1", force=True)
        assert [state.workflow_id for state in handed] == [order.run_id]
        await asyncio.wait_for(recorders[order.run_id].done.wait(), timeout=30)

    assert [e for e in recorders[order.run_id].events if is_terminal(e)] == [Finished("read #1")]
    assert SILENT_SECONDS == 30.0


async def test_an_unknown_executor_is_refused_unless_it_left_unfinished_runs(
    start_bot: StartBot, store: Store, database_url: str, recorders: Recorders
) -> None:
    probe = Probe(store)
    first = await start_bot("replica-1", {"probe": probe.program})
    order = await _order(store, "probe")
    await first.submit(order)
    await asyncio.wait_for(probe.waiting.wait(), timeout=30)
    await _stop(first)
    async with store.writing() as session:  # a process from before heartbeats existed
        await session.exec(sa.text("DELETE FROM executors"))  # type: ignore[call-overload]
    await start_bot("replica-2", {"probe": probe.program})
    probe.gate.set()

    async with control(store, database_url) as operator:
        with pytest.raises(ControlError, match="no executor 'nobody'"):
            await operator.recover("nobody")
        assert len(await operator.recover("replica-1")) == 1
        await asyncio.wait_for(recorders[order.run_id].done.wait(), timeout=30)
        await _reaches(operator, order.run_id, "SUCCESS")
        with pytest.raises(ControlError, match="no executor 'replica-1'"):  # nothing left of it
            await operator.recover("replica-1")


async def test_a_durable_task_left_unfinished_goes_back_on_the_internal_queue_and_runs_once(
    start_bot: StartBot, store: Store, database_url: str
) -> None:
    writes: list[str] = []
    gate, recorded = asyncio.Event(), asyncio.Event()
    running: list[asyncio.Task[Any]] = []

    async def write(key: str) -> str:
        writes.append(key)
        return f"commented on {key}"

    async def approved_write(key: str) -> str:
        running.append(asyncio.current_task())  # type: ignore[arg-type]
        outcome = await step("test.control.write", write, key)
        recorded.set()  # the step returns once its outcome is checkpointed
        await gate.wait()
        return outcome

    task("test.control.approved", approved_write)
    first = await start_bot("replica-1", {})
    caller = asyncio.create_task(run_once("approval-77", "test.control.approved", "OPS-1"))
    await asyncio.wait_for(recorded.wait(), timeout=30)
    running[0].cancel()  # the process dies here: the write is done, what follows it is not
    with contextlib.suppress(BaseException):
        await caller
    await _stop(first)
    await store.executor_started("replica-1", app_name=APP, host="gone-host", pid=4242)  # a last beat
    await start_bot("replica-2", {})
    gate.set()

    async with control(store, database_url) as operator:
        (left,) = (await operator.workflows(["approval-77"])).values()
        assert (left.status, left.executor_id, left.is_run) == ("PENDING", "replica-1", False)
        with pytest.raises(ControlError, match="approval-77 is running on executor replica-1 may still"):
            await operator.resume("approval-77")
        assert [s.workflow_id for s in await operator.recover("replica-1", force=True)] == ["approval-77"]
        await _reaches(operator, "approval-77", "SUCCESS")

    assert writes == ["OPS-1"], "the write is not done again"


async def test_cancel_stops_a_running_run_at_its_next_step_and_a_queued_one_before_it_starts(
    start_bot: StartBot, store: Store, database_url: str, recorders: Recorders
) -> None:
    ticks: list[int] = []

    async def tick(n: int) -> int:
        ticks.append(n)
        return n

    async def ticking(_run_id: str) -> AsyncIterator[WorkflowEvent]:
        for n in range(10_000):
            await step("test.tick", tick, n)
            if n == 0:
                yield TextDelta("ticking")
            await asyncio.sleep(0.02)
        yield Finished("never")

    runs = await start_bot("replica-1", {"ticking": ticking})
    busy = await _order(store, "ticking", thread="busy")
    await runs.submit(busy)
    await until(lambda: len(ticks) >= 2, steps=STEPS)

    async with control(store, database_url) as operator:
        cancelled = await operator.cancel(busy.run_id[:12])  # as `chatops runs` shows it
        assert (cancelled.workflow_id, cancelled.status) == (busy.run_id, "PENDING")
        await asyncio.wait_for(recorders[busy.run_id].done.wait(), timeout=30)
        with pytest.raises(ControlError, match="not in flight"):
            await operator.cancel(busy.run_id)
        with pytest.raises(ControlError, match="already ended"):
            await operator.resume(busy.run_id)
        with pytest.raises(ControlError, match="no run 'nope'"):
            await operator.cancel("nope")

    assert [e for e in recorders[busy.run_id].events if is_terminal(e)] == [Interrupted(STOPPED)]
    run = await store.get_run(busy.run_id)
    assert run is not None and (run.status, run.error) == ("interrupted", STOPPED)


async def test_cancel_of_a_queued_run_ends_its_row_since_no_process_will(
    start_bot: StartBot, store: Store, database_url: str, recorders: Recorders
) -> None:
    probe = Probe(store)
    runs = await start_bot("replica-1", {"probe": probe.program})
    busy = await _order(store, "probe", thread="same")
    waiting = await _order(store, "probe", thread="same")  # the thread's follow-up waits its turn
    await runs.submit(busy)
    await asyncio.wait_for(probe.waiting.wait(), timeout=30)
    await runs.submit(waiting)

    async with control(store, database_url) as operator:
        assert (await operator.cancel(waiting.run_id)).status == "ENQUEUED"
        probe.gate.set()
        await asyncio.wait_for(recorders[busy.run_id].done.wait(), timeout=30)
        await asyncio.sleep(0.3)  # three queue polls: time for a cancelled run to have started anyway
        states = await operator.workflows([busy.run_id, waiting.run_id])

    assert states[waiting.run_id].status == "CANCELLED" and states[busy.run_id].status == "SUCCESS"
    assert recorders[waiting.run_id].events == []
    run = await store.get_run(waiting.run_id)
    assert run is not None and (run.status, run.error) == ("interrupted", STOPPED)


async def test_cancel_of_a_run_its_dead_executor_left_ends_its_row_and_it_is_not_resumed(
    start_bot: StartBot, store: Store, database_url: str, recorders: Recorders
) -> None:
    probe = Probe(store)
    first = await start_bot("replica-1", {"probe": probe.program})
    order = await _order(store, "probe")
    await first.submit(order)
    await asyncio.wait_for(probe.waiting.wait(), timeout=30)
    await _stop(first)  # left PENDING, and no process will end it

    async with control(store, database_url) as operator:
        assert (await operator.cancel(order.run_id)).status == "PENDING"
        with pytest.raises(ControlError, match="already ended"):
            await operator.resume(order.run_id)
        (state,) = (await operator.workflows([order.run_id])).values()

    assert state.status == "CANCELLED"
    run = await store.get_run(order.run_id)
    assert run is not None and (run.status, run.error) == ("interrupted", STOPPED)


async def test_no_system_database_yet_is_a_clear_error(store: Store, database_url: str) -> None:
    if database_url.startswith("sqlite"):
        with pytest.raises(ControlError, match="no runs' system database at .*chatops.dbos.sqlite"):
            await RunControl.open(store, database_url)
        return
    # PostgreSQL: the server is there, DBOS's tables are not (the test databases are copies of a
    # template that has them, so take them away first).
    plain = make_url(database_url).set(drivername="postgresql").render_as_string(False)
    async with await psycopg.AsyncConnection.connect(plain, autocommit=True) as connection:
        await connection.execute("DROP SCHEMA dbos CASCADE")
    async with control(store, database_url) as operator:
        with pytest.raises(ControlError, match="the runs' system database failed"):
            await operator.workflows(["some-run"])


async def _reaches(operator: RunControl, workflow_id: str, status: str) -> None:
    for _ in range(1500):
        if (await operator.workflows([workflow_id]))[workflow_id].status == status:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{workflow_id} never reached {status}")
