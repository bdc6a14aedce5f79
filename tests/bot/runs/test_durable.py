"""Durable runs: real DBOS on SQLite and PostgreSQL running small programs (async generators of
bot.events) — the cap per process, one thread's runs in order, stop, the time budget, exactly one
terminal event whatever happens, and a shutdown that leaves what it cut off to be resumed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from dbos import DBOS, SetWorkflowID

from bot.errors import ShuttingDown
from bot.events import Failed, Finished, Interrupted, TextDelta, WorkflowEvent, is_terminal
from bot.ports import OneSink, Origin, SinkFactory
from bot.runs.durable import (
    STOPPED,
    RunOrder,
    Runs,
    delivery_id,
    delivery_workflow,
    run_once,
    run_queue,
    task,
)
from bot.runs.engine import Engine
from bot.store.store import Store
from integrations.budget import remaining
from tests.manual_clock import until
from tests.recording_sink import BrokenSink, RecordingSink

SURFACE, TEAM, CHANNEL, USER = "test", "T1", "C1", "U1"
STEPS = 20_000  # loop turns of `until`: the queue is polled every 0.1 s, on a loaded machine too

MakeRuns = Callable[..., Runs]


class Recorders:
    """The test edge: a RecordingSink per run, and the runs whose first attempt it was told to retire."""

    def __init__(self) -> None:
        self.by_run: dict[str, RecordingSink] = {}
        self.retired: list[tuple[Origin, str]] = []

    def __getitem__(self, run_id: str) -> RecordingSink:
        return self.by_run.setdefault(run_id, RecordingSink())

    def sinks(self, origin: Origin) -> SinkFactory:
        return self.__getitem__

    async def retire(self, origin: Origin, run_id: str) -> None:
        self.retired.append((origin, run_id))


@pytest.fixture
async def make_runs(store: Store, database_url: str) -> AsyncIterator[MakeRuns]:
    """Runs on a real engine beside the test's database (one at a time: DBOS is per process)."""
    made: list[Runs] = []

    def make(*, cap: int = 8, run_timeout: float = 30.0, shutdown_grace: float = 0.2) -> Runs:
        engine = Engine.beside(
            database_url, app_name="chatops-test", executor_id="test@here", queues=[run_queue(cap)]
        )
        runs = Runs(store, engine, thinking=cap, run_timeout=run_timeout, shutdown_grace=shutdown_grace)
        made.append(runs)
        return runs

    yield make
    for runs in made:
        await runs.shutdown()


@pytest.fixture
def recorders() -> Recorders:
    return Recorders()


@pytest.fixture
def runs(make_runs: MakeRuns, recorders: Recorders) -> Runs:
    made = make_runs()
    made.route(SURFACE, recorders)
    return made


async def _order(store: Store, program: str, payload: Any = None, *, thread: str = "1.0") -> RunOrder:
    conversation = await store.open_conversation(TEAM, CHANNEL, thread)
    run_id = await store.create_run(conversation, trigger="ask", user_id=USER)
    return RunOrder(run_id, conversation, program, payload, Origin(SURFACE, TEAM, CHANNEL, thread, USER))


class GatedSink(RecordingSink):
    """A sink whose rendering of the terminal event waits for ``release`` (Slack's budget is short)."""

    def __init__(self) -> None:
        super().__init__()
        self.handed: list[WorkflowEvent] = []
        self.release = asyncio.Event()

    async def emit(self, event: WorkflowEvent) -> None:
        self.handed.append(event)
        if is_terminal(event):
            await self.release.wait()
        await super().emit(event)


class OneRunSinks:
    """The test edge for two threads: the named threads' sinks, and ``rest`` for any other."""

    def __init__(self, by_thread: dict[str, RecordingSink], rest: RecordingSink) -> None:
        self._by_thread = by_thread
        self._rest = rest

    def sinks(self, origin: Origin) -> SinkFactory:
        sink = self._by_thread.get(origin.thread_ts, self._rest)
        return lambda _run_id: sink

    async def retire(self, origin: Origin, run_id: str) -> None:
        return None


def _terminals(sink: RecordingSink) -> list[WorkflowEvent]:
    return [event for event in sink.events if is_terminal(event)]


def _answering(text: str) -> Callable[[Any], AsyncIterator[WorkflowEvent]]:
    async def program(_payload: Any) -> AsyncIterator[WorkflowEvent]:
        yield TextDelta(text)
        yield Finished(text)

    return program


def _gated(gates: dict[str, asyncio.Event], log: list[str]) -> Callable[[str], AsyncIterator[WorkflowEvent]]:
    """A program that notes its start, waits for the gate named by its payload, then answers."""

    async def program(name: str) -> AsyncIterator[WorkflowEvent]:
        log.append(f"{name} start")
        await gates.setdefault(name, asyncio.Event()).wait()
        log.append(f"{name} end")
        yield Finished(name)

    return program


async def _stuck(_payload: Any) -> AsyncIterator[WorkflowEvent]:
    yield TextDelta("partial")
    await asyncio.Event().wait()


async def _status(run_id: str) -> str | None:
    status = await DBOS.get_workflow_status_async(run_id)
    return None if status is None else status.status


async def _is(run_id: str, status: str) -> bool:
    return await _status(run_id) == status


async def _eventually(check: Callable[[], Awaitable[bool]]) -> None:
    for _ in range(500):
        if await check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached")


async def test_a_run_streams_its_events_to_the_sink_its_origin_routes_to(
    runs: Runs, store: Store, recorders: Recorders
) -> None:
    runs.program("hello", _answering("hello"))
    order = await _order(store, "hello")

    await runs.submit(order)
    await runs.wait_idle()

    sink = recorders[order.run_id]
    assert sink.text == "hello"
    assert _terminals(sink) == [Finished("hello")]
    assert recorders.retired == [], "a first attempt has nothing to retire"
    await _eventually(lambda: _is(order.run_id, "SUCCESS"))  # recorded just after the run ends


async def test_a_second_submit_of_the_same_run_finds_the_first(
    runs: Runs, store: Store, recorders: Recorders
) -> None:
    started: list[str] = []

    async def once(payload: str) -> AsyncIterator[WorkflowEvent]:
        started.append(payload)
        yield Finished(payload)

    runs.program("once", once)
    order = await _order(store, "once", "a")

    await runs.submit(order)
    await runs.wait_idle()
    await runs.submit(order)  # a redelivered event
    await asyncio.sleep(0.3)  # three queue polls: time for a duplicate to have started

    assert started == ["a"]
    assert _terminals(recorders[order.run_id]) == [Finished("a")]


async def test_a_second_submit_of_a_finished_run_leaves_nothing_waiting(runs: Runs, store: Store) -> None:
    runs.program("hello", _answering("hello"))
    order = await _order(store, "hello")
    await runs.submit(order)
    await runs.wait_idle()

    await runs.submit(order)
    await asyncio.sleep(0.3)

    assert runs.queued == 0


async def test_runs_are_capped_per_process_and_the_rest_wait_their_turn(
    make_runs: MakeRuns, store: Store, recorders: Recorders
) -> None:
    runs = make_runs(cap=2)
    runs.route(SURFACE, recorders)
    gates: dict[str, asyncio.Event] = {}
    log: list[str] = []
    runs.program("gated", _gated(gates, log))
    orders = [await _order(store, "gated", f"r{i}", thread=f"{i}.0") for i in range(5)]

    for order in orders:
        await runs.submit(order)
    await until(lambda: len(log) == 2, steps=STEPS)
    await asyncio.sleep(0.3)  # three more queue polls: nothing else may start meanwhile

    assert len(log) == 2 and runs.running + runs.queued == 5
    while len(log) < 10:
        for gate in gates.values():
            gate.set()
        await asyncio.sleep(0.01)
        thinking = sum(1 for line in log if line.endswith("start")) - sum(
            1 for line in log if line.endswith("end")
        )
        assert thinking <= 2
    await runs.wait_idle()

    assert (runs.running, runs.queued) == (0, 0)
    assert all(_terminals(recorders[o.run_id]) == [Finished(o.payload)] for o in orders)


async def test_one_threads_runs_go_in_order_while_another_thread_answers_meanwhile(
    runs: Runs, store: Store, recorders: Recorders
) -> None:
    gates: dict[str, asyncio.Event] = {name: asyncio.Event() for name in ("first", "second", "other")}
    log: list[str] = []
    runs.program("gated", _gated(gates, log))
    first = await _order(store, "gated", "first", thread="same")
    second = await _order(store, "gated", "second", thread="same")
    other = await _order(store, "gated", "other", thread="other")
    gates["second"].set()
    gates["other"].set()

    await runs.submit(first)
    await until(lambda: log == ["first start"], steps=STEPS)
    await runs.submit(second)
    await runs.submit(other)
    await until(lambda: "other end" in log, steps=STEPS)
    await asyncio.sleep(0.3)  # three more queue polls: the follow-up may not start meanwhile

    assert log == ["first start", "other start", "other end"]
    gates["first"].set()
    await runs.wait_idle()

    assert log[3:] == ["first end", "second start", "second end"]
    assert _terminals(recorders[second.run_id]) == [Finished("second")]


async def test_stop_ends_a_running_run_keeping_its_partial_answer_and_a_second_stop_is_harmless(
    runs: Runs, store: Store, recorders: Recorders
) -> None:
    runs.program("stuck", _stuck)
    runs.program("fine", _answering("fine"))
    stuck = await _order(store, "stuck", thread="stuck")
    other = await _order(store, "fine", thread="other")
    await runs.submit(stuck)
    await until(lambda: recorders[stuck.run_id].text == "partial", steps=STEPS)

    assert await runs.stop(stuck.run_id) is True
    assert await runs.stop(stuck.run_id) is True, "still stopping: the second stop changes nothing"
    await runs.submit(other)
    await runs.wait_idle()

    sink = recorders[stuck.run_id]
    assert sink.text == "partial"
    assert _terminals(sink) == [Interrupted(STOPPED)]
    run = await store.get_run(stuck.run_id)
    assert run is not None and (run.status, run.error) == ("interrupted", STOPPED)
    assert _terminals(recorders[other.run_id]) == [Finished("fine")]
    await _eventually(lambda: _is(stuck.run_id, "SUCCESS"))  # DBOS records its end a moment later
    assert await runs.stop(stuck.run_id) is False, "already over: nothing to stop"
    assert runs.stop_local(stuck.run_id) is False
    assert await runs.stop("no-such-run") is False


async def test_stop_of_a_waiting_run_means_it_never_starts(
    make_runs: MakeRuns, store: Store, recorders: Recorders
) -> None:
    runs = make_runs(cap=1)
    runs.route(SURFACE, recorders)
    gates: dict[str, asyncio.Event] = {name: asyncio.Event() for name in ("a", "b")}
    log: list[str] = []
    runs.program("gated", _gated(gates, log))
    orders = {name: await _order(store, "gated", name, thread=name) for name in gates}
    for order in orders.values():
        await runs.submit(order)
    await until(lambda: len(log) == 1, steps=STEPS)
    busy = log[0].removesuffix(" start")
    (waiting,) = (order for name, order in orders.items() if name != busy)

    assert await runs.stop(waiting.run_id) is True
    for gate in gates.values():
        gate.set()
    await runs.wait_idle()
    await asyncio.sleep(0.3)  # three queue polls: time for a stopped run to have started anyway

    assert log == [f"{busy} start", f"{busy} end"], "the stopped run never started thinking"
    # Still in DBOS's queue it is cancelled there and says nothing; dequeued and waiting for a
    # thinking slot here it ends at once, saying it was stopped.
    assert recorders[waiting.run_id].events in ([], [Interrupted(STOPPED)])
    run = await store.get_run(waiting.run_id)
    assert run is not None and (run.status, run.error) == ("interrupted", STOPPED)
    assert await _status(waiting.run_id) in ("CANCELLED", "SUCCESS")
    assert await runs.stop(waiting.run_id) is False, "a second stop finds nothing in flight"


async def test_the_time_budget_ends_a_run_with_one_retryable_failure(
    make_runs: MakeRuns, store: Store, recorders: Recorders
) -> None:
    runs = make_runs(run_timeout=0.2)
    runs.route(SURFACE, recorders)
    runs.program("stuck", _stuck)
    order = await _order(store, "stuck")

    await runs.submit(order)
    await runs.wait_idle()

    (failed,) = _terminals(recorders[order.run_id])
    assert isinstance(failed, Failed) and failed.retryable and "0.2 s time budget" in failed.message
    run = await store.get_run(order.run_id)
    assert run is not None and (run.status, run.error) == ("failed", failed.message)


async def test_a_run_carries_its_time_budget_down_to_the_upstream_calls(
    make_runs: MakeRuns, store: Store, recorders: Recorders
) -> None:
    seen: list[float | None] = []

    async def program(_payload: Any) -> AsyncIterator[WorkflowEvent]:
        seen.append(remaining())  # what integrations.retry consults before sleeping
        yield Finished("done")

    runs = make_runs(run_timeout=30.0)
    runs.route(SURFACE, recorders)
    runs.program("budgeted", program)
    await runs.submit(await _order(store, "budgeted"))
    await runs.wait_idle()

    (left,) = seen
    assert left is not None and 0 < left <= 30.0
    assert remaining() is None  # and nothing leaks out of the run


async def test_a_crashing_program_fails_once_without_its_secrets(
    runs: Runs, store: Store, recorders: Recorders
) -> None:
    async def crashing(_payload: Any) -> AsyncIterator[WorkflowEvent]:
        yield TextDelta("so far")
        raise RuntimeError("boom with a secret xoxb-123")

    runs.program("crashing", crashing)
    order = await _order(store, "crashing")

    await runs.submit(order)
    await runs.wait_idle()

    sink = recorders[order.run_id]
    (failed,) = _terminals(sink)
    assert isinstance(failed, Failed) and "xoxb" not in failed.message
    assert sink.text == "so far"
    run = await store.get_run(order.run_id)
    assert run is not None and run.status == "failed"


async def test_a_program_that_stops_without_an_answer_still_ends_failed(
    runs: Runs, store: Store, recorders: Recorders
) -> None:
    async def silent(_payload: Any) -> AsyncIterator[WorkflowEvent]:
        yield TextDelta("")

    runs.program("silent", silent)
    order = await _order(store, "silent")

    await runs.submit(order)
    await runs.wait_idle()

    (failed,) = _terminals(recorders[order.run_id])
    assert failed == Failed("the run ended without an answer")
    run = await store.get_run(order.run_id)
    assert run is not None and run.status == "failed"


async def test_the_first_terminal_event_ends_the_run(runs: Runs, store: Store, recorders: Recorders) -> None:
    after: list[str] = []

    async def chatty(_payload: Any) -> AsyncIterator[WorkflowEvent]:
        yield Finished("first")
        after.append("resumed after its answer")
        yield Failed("second")

    runs.program("chatty", chatty)
    order = await _order(store, "chatty")

    await runs.submit(order)
    await runs.wait_idle()

    assert recorders[order.run_id].events == [Finished("first")]
    assert after == []


async def test_a_sink_that_raises_never_stops_the_run(runs: Runs, store: Store) -> None:
    broken = BrokenSink()
    runs.route(SURFACE, OneSink(broken))
    reached: list[str] = []

    async def finishing(run_id: str) -> AsyncIterator[WorkflowEvent]:
        yield TextDelta("a")
        yield TextDelta("b")
        reached.append("the end")
        await store.finish_run(run_id, status="succeeded", usage=Finished("ab").usage, answer="ab")
        yield Finished("ab")

    runs.program("finishing", finishing)
    order = await _order(store, "finishing")
    order = RunOrder(order.run_id, order.conversation_id, "finishing", order.run_id, order.origin)

    await runs.submit(order)
    await runs.wait_idle()

    assert reached == ["the end"]
    assert broken.events == [TextDelta("a"), TextDelta("b"), Finished("ab")]
    run = await store.get_run(order.run_id)
    assert run is not None and run.status == "succeeded"
    await _eventually(lambda: _is(order.run_id, "SUCCESS"))  # recorded just after the run ends


async def test_an_unknown_program_fails_its_run_plainly(
    runs: Runs, store: Store, recorders: Recorders
) -> None:
    order = await _order(store, "no-such-program")

    await runs.submit(order)
    await runs.wait_idle()

    assert _terminals(recorders[order.run_id]) == [Failed("unknown run kind 'no-such-program'")]
    run = await store.get_run(order.run_id)
    assert run is not None and run.status == "failed"


async def test_a_run_from_a_surface_this_process_does_not_serve_fails_without_rendering(
    runs: Runs, store: Store, recorders: Recorders
) -> None:
    runs.program("hello", _answering("hello"))
    order = await _order(store, "hello")
    order = RunOrder(
        order.run_id, order.conversation_id, "hello", None, Origin("elsewhere", TEAM, CHANNEL, "1.0", USER)
    )

    await runs.submit(order)
    await runs.wait_idle()

    assert recorders.by_run == {}
    run = await store.get_run(order.run_id)
    assert run is not None and (run.status, run.error) == ("failed", "no edge")


async def test_a_resumed_run_first_retires_what_its_earlier_attempt_showed(
    runs: Runs, store: Store, recorders: Recorders
) -> None:
    runs.program("hello", _answering("again"))
    order = await _order(store, "hello")
    await store.mark_running(order.run_id)  # an earlier attempt began, then its process died

    await runs.submit(order)
    await runs.wait_idle()

    assert recorders.retired == [(order.origin, order.run_id)]
    assert _terminals(recorders[order.run_id]) == [Finished("again")]


async def test_a_finished_run_is_not_run_again_but_its_recorded_answer_is_delivered_anew(
    runs: Runs, store: Store, recorders: Recorders
) -> None:
    runs.program("hello", _answering("hello"))
    order = await _order(store, "hello")
    await store.finish_run(order.run_id, status="succeeded", usage=Finished("x").usage, answer="x")

    await runs.submit(order)  # finished, then its process died before DBOS recorded it
    await runs.wait_idle()

    assert recorders.retired == [(order.origin, order.run_id)], "what its delivery had shown goes"
    assert recorders[order.run_id].events == [Finished("x")], "the recorded answer, not a second run"


async def test_a_run_gives_its_thinking_slot_back_once_answered_not_once_delivered(
    make_runs: MakeRuns, store: Store
) -> None:
    slow = GatedSink()  # Slack's budget holds the first answer back
    fast = RecordingSink()
    runs = make_runs(cap=1)
    runs.route(SURFACE, OneRunSinks({"slow": slow}, fast))
    runs.program("hello", _answering("hi"))
    first = await _order(store, "hello", thread="slow")
    second = await _order(store, "hello", thread="other")

    await runs.submit(first)
    await until(lambda: any(is_terminal(event) for event in slow.handed), steps=STEPS)
    await runs.submit(second)
    await asyncio.wait_for(fast.done.wait(), 10)

    assert not slow.done.is_set(), "the second run thought and answered while the first still delivered"
    slow.release.set()
    await runs.wait_idle()
    assert _terminals(slow) == [Finished("hi")] and _terminals(fast) == [Finished("hi")]


class GatedRuns:
    """The test edge: a GatedSink for every run, and the order in which sinks received events."""

    def __init__(self) -> None:
        self.by_run: dict[str, GatedSink] = {}
        self.order: list[tuple[str, WorkflowEvent]] = []

    def sinks(self, origin: Origin) -> SinkFactory:
        return self._sink

    def _sink(self, run_id: str) -> GatedSink:
        if run_id not in self.by_run:
            sink = self.by_run[run_id] = GatedSink()
            emit = sink.emit

            async def noted(event: WorkflowEvent) -> None:
                self.order.append((run_id, event))
                await emit(event)

            sink.emit = noted  # type: ignore[method-assign]
        return self.by_run[run_id]

    async def retire(self, origin: Origin, run_id: str) -> None:
        return None


async def test_a_run_gives_its_queue_place_back_once_answered_while_its_delivery_goes_on(
    make_runs: MakeRuns, store: Store
) -> None:
    edge = GatedRuns()  # Slack's budget holds every answer back
    runs = make_runs(cap=1)  # one thinking slot: room in the queue for two runs
    runs.route(SURFACE, edge)
    runs.program("hello", _answering("hi"))
    orders = [await _order(store, "hello", thread=f"t{i}") for i in range(4)]

    for order in orders:
        await runs.submit(order)
    await until(lambda: len(edge.by_run) == 4 and all(s.handed for s in edge.by_run.values()), steps=STEPS)

    for order in orders:  # all four thought while none was delivered: the queue did not wait on Slack
        await _eventually(lambda: _is(order.run_id, "SUCCESS"))  # noqa: B023 (awaited here)
        assert await _is(delivery_id(order.run_id), "PENDING")
        assert not edge.by_run[order.run_id].done.is_set()
    for sink in edge.by_run.values():
        sink.release.set()
    await runs.wait_idle()
    for order in orders:
        assert _terminals(edge.by_run[order.run_id]) == [Finished("hi")]
        await _eventually(lambda: _is(delivery_id(order.run_id), "SUCCESS"))  # noqa: B023 (awaited here)


async def test_a_threads_next_answer_waits_until_the_one_before_it_is_delivered(
    make_runs: MakeRuns, store: Store
) -> None:
    edge = GatedRuns()
    runs = make_runs()
    runs.route(SURFACE, edge)
    runs.program("hello", _answering("hi"))
    first = await _order(store, "hello", thread="same")
    second = await _order(store, "hello", thread="same")

    await runs.submit(first)
    await until(lambda: first.run_id in edge.by_run and edge.by_run[first.run_id].handed, steps=STEPS)
    await runs.submit(second)
    await _eventually(lambda: _is(second.run_id, "SUCCESS"))  # it thought, its answer is ready

    assert {run_id for run_id, _ in edge.order} == {first.run_id}, "nothing of the second before the first"
    edge.by_run[first.run_id].release.set()
    await until(lambda: second.run_id in edge.by_run and edge.by_run[second.run_id].handed, steps=STEPS)
    edge.by_run[second.run_id].release.set()
    await runs.wait_idle()
    shown = [run_id for run_id, _ in edge.order]
    assert shown == [first.run_id] * 2 + [second.run_id] * 2  # a delta and the end, each in turn


async def test_a_delivery_resumed_without_its_run_retires_what_was_shown_and_delivers_the_record(
    runs: Runs, store: Store, recorders: Recorders
) -> None:
    order = await _order(store, "hello")
    await store.finish_run(order.run_id, status="succeeded", usage=Finished("x").usage, answer="recorded")
    await runs.start()

    with SetWorkflowID(delivery_id(order.run_id)):  # as DBOS resumes it after its process died
        await DBOS.start_workflow_async(delivery_workflow, order)
    await _eventually(lambda: _is(delivery_id(order.run_id), "SUCCESS"))

    assert recorders.retired == [(order.origin, order.run_id)]
    assert recorders[order.run_id].events == [Finished("recorded")]


async def test_shutdown_lets_quick_runs_finish_then_leaves_the_rest_unfinished_and_silent(
    make_runs: MakeRuns, store: Store, recorders: Recorders
) -> None:
    # The dispatcher rendered Interrupted here; a durable run is left to be resumed instead.
    runs = make_runs(shutdown_grace=0.5)
    runs.route(SURFACE, recorders)
    gates: dict[str, asyncio.Event] = {}
    log: list[str] = []
    runs.program("gated", _gated(gates, log))
    runs.program("stuck", _stuck)
    quick = await _order(store, "gated", "quick", thread="quick")
    stuck = await _order(store, "stuck", thread="stuck")
    await store.mark_running(stuck.run_id)
    await runs.submit(quick)
    await runs.submit(stuck)
    await until(lambda: "quick start" in log and recorders[stuck.run_id].text == "partial", steps=STEPS)
    asyncio.get_running_loop().call_later(0.05, gates["quick"].set)
    engine = runs.engine
    assert engine is not None

    left = await runs.shutdown()

    assert left == 1
    assert _terminals(recorders[quick.run_id]) == [Finished("quick")]
    assert recorders[stuck.run_id].events == [TextDelta("partial")], "nothing is posted for it"
    run = await store.get_run(stuck.run_id)
    assert run is not None and run.status == "running", "not terminal: the next process finishes it"
    assert _client_status(engine, stuck.run_id) == "PENDING"
    assert not runs.accepting
    with pytest.raises(ShuttingDown):
        await runs.submit(await _order(store, "gated", "late", thread="late"))


async def test_a_run_dequeued_while_draining_does_not_start(
    make_runs: MakeRuns, store: Store, recorders: Recorders
) -> None:
    runs = make_runs(cap=2, shutdown_grace=30.0)
    runs.route(SURFACE, recorders)
    gates: dict[str, asyncio.Event] = {}
    log: list[str] = []
    runs.program("gated", _gated(gates, log))
    orders = {name: await _order(store, "gated", name, thread=name) for name in ("a", "b", "c")}
    for order in orders.values():
        await runs.submit(order)
    await until(lambda: len(log) == 2, steps=STEPS)
    held, freed = (entry.removesuffix(" start") for entry in log)
    (late,) = (order for name, order in orders.items() if name not in (held, freed))
    engine = runs.engine
    assert engine is not None

    draining = asyncio.create_task(runs.shutdown())
    await asyncio.sleep(0)
    gates[freed].set()  # a slot frees while the bot drains: the queued run is dequeued into it
    await _eventually(lambda: _is(late.run_id, "PENDING"))
    await asyncio.sleep(0.1)
    gates[held].set()
    assert await draining == 0

    assert f"{late.payload} start" not in log and recorders[late.run_id].events == []
    run = await store.get_run(late.run_id)
    assert run is not None and not run.finished
    assert _client_status(engine, late.run_id) == "PENDING", "left for the next process"


async def test_a_durable_task_runs_once_per_id(runs: Runs) -> None:
    calls: list[int] = []

    async def double(payload: int) -> int:
        calls.append(payload)
        return payload * 2

    task("test.double", double)
    await runs.start()

    assert await run_once("double-1", "test.double", 21) == 42
    assert await run_once("double-1", "test.double", 99) == 42, "the same id: the first result"
    assert await run_once("double-2", "test.double", 1) == 2
    assert calls == [21, 1]


async def test_nothing_is_submitted_after_shutdown(runs: Runs, store: Store) -> None:
    assert runs.accepting
    await runs.shutdown()

    assert not runs.accepting
    with pytest.raises(ShuttingDown):
        await runs.submit(await _order(store, "hello"))


def _client_status(engine: Engine, run_id: str) -> str:
    """A workflow's status read after the engine stopped, as an operator's command would."""

    client = engine.client()
    try:
        (status,) = client.list_workflows(workflow_ids=[run_id])
        return status.status
    finally:
        client.destroy()
