from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from bot.errors import ShuttingDown
from bot.events import Failed, Finished, Interrupted, StatusChanged, TextDelta, WorkflowEvent
from bot.runs.dispatcher import STOPPED, Dispatcher, RunJob
from bot.store.store import Store
from integrations.budget import remaining
from tests.recording_sink import BrokenSink, RecordingSink


async def _job(
    store: Store,
    workflow: Callable[[], AsyncIterator[WorkflowEvent]],
    *,
    thread: str = "1.0",
    sink: RecordingSink | None = None,
) -> RunJob:
    conversation = await store.open_conversation("T1", "C1", thread)
    run_id = await store.create_run(conversation, trigger="ask", user_id="U1")
    return RunJob(run_id, conversation, workflow, sink or RecordingSink())


def _answering(text: str, gate: asyncio.Event | None = None) -> Callable[[], AsyncIterator[WorkflowEvent]]:
    async def workflow() -> AsyncIterator[WorkflowEvent]:
        if gate is not None:
            await gate.wait()
        yield TextDelta(text)
        yield Finished(text)

    return workflow


def _stuck() -> AsyncIterator[WorkflowEvent]:
    async def workflow() -> AsyncIterator[WorkflowEvent]:
        yield TextDelta("partial")
        await asyncio.Event().wait()

    return workflow()


async def test_a_run_streams_its_events_to_the_sink(store: Store) -> None:
    dispatcher = Dispatcher(store)
    job = await _job(store, _answering("hello"))
    dispatcher.submit(job)
    await dispatcher.wait_idle()
    sink = job.sink
    assert isinstance(sink, RecordingSink)
    assert sink.text == "hello"
    assert isinstance(sink.terminal, Finished)


async def test_concurrency_is_capped_and_the_rest_queue(store: Store) -> None:
    dispatcher = Dispatcher(store, max_concurrent=2)
    gate = asyncio.Event()
    running = 0
    peak = 0

    def counting() -> AsyncIterator[WorkflowEvent]:
        async def workflow() -> AsyncIterator[WorkflowEvent]:
            nonlocal running, peak
            running += 1
            peak = max(peak, running)
            await gate.wait()
            running -= 1
            yield Finished("ok")

        return workflow()

    jobs = [await _job(store, counting, thread=f"{i}.0") for i in range(5)]
    for job in jobs:
        dispatcher.submit(job)
    await asyncio.sleep(0.05)
    assert running == 2
    gate.set()
    await dispatcher.wait_idle()
    assert peak == 2
    queued = [job for job in jobs if StatusChanged("queued") in job.sink.events]  # type: ignore[attr-defined]
    assert len(queued) == 3
    assert all(isinstance(job.sink.terminal, Finished) for job in jobs)  # type: ignore[attr-defined]


async def test_runs_in_one_thread_go_one_at_a_time_in_order(store: Store) -> None:
    dispatcher = Dispatcher(store, max_concurrent=4)
    order: list[str] = []

    def step(name: str) -> Callable[[], AsyncIterator[WorkflowEvent]]:
        async def workflow() -> AsyncIterator[WorkflowEvent]:
            order.append(f"{name} start")
            await asyncio.sleep(0.01)
            order.append(f"{name} end")
            yield Finished(name)

        return workflow

    first = await _job(store, step("first"), thread="same")
    second = await _job(store, step("second"), thread="same")
    dispatcher.submit(first)
    dispatcher.submit(second)
    await dispatcher.wait_idle()
    assert order == ["first start", "first end", "second start", "second end"]


async def test_the_time_budget_ends_a_run_with_a_retryable_failure(store: Store) -> None:
    dispatcher = Dispatcher(store, run_timeout=0.05)
    job = await _job(store, _stuck)
    dispatcher.submit(job)
    await dispatcher.wait_idle()
    terminal = job.sink.terminal  # type: ignore[attr-defined]
    assert isinstance(terminal, Failed) and terminal.retryable
    run = await store.get_run(job.run_id)
    assert run is not None and run.status == "failed"


async def test_a_crashing_workflow_fails_cleanly(store: Store) -> None:
    async def crashing() -> AsyncIterator[WorkflowEvent]:
        yield TextDelta("so far")
        raise RuntimeError("boom with a secret xoxb-123")

    dispatcher = Dispatcher(store)
    job = await _job(store, crashing)
    dispatcher.submit(job)
    await dispatcher.wait_idle()
    terminal = job.sink.terminal  # type: ignore[attr-defined]
    assert isinstance(terminal, Failed)
    assert "xoxb" not in terminal.message
    run = await store.get_run(job.run_id)
    assert run is not None and run.status == "failed"


async def test_a_workflow_that_stops_without_an_answer_still_ends(store: Store) -> None:
    async def silent() -> AsyncIterator[WorkflowEvent]:
        yield TextDelta("")

    dispatcher = Dispatcher(store)
    job = await _job(store, silent)
    dispatcher.submit(job)
    await dispatcher.wait_idle()
    assert isinstance(job.sink.terminal, Failed)  # type: ignore[attr-defined]


async def test_shutdown_lets_quick_runs_finish_and_interrupts_the_rest(store: Store) -> None:
    dispatcher = Dispatcher(store, shutdown_grace=0.1)
    quick_gate = asyncio.Event()
    quick = await _job(store, _answering("done", quick_gate), thread="quick")
    stuck = await _job(store, _stuck, thread="stuck")
    dispatcher.submit(quick)
    dispatcher.submit(stuck)
    await asyncio.sleep(0)
    asyncio.get_running_loop().call_later(0.02, quick_gate.set)

    interrupted = await dispatcher.shutdown()

    assert interrupted == 1
    assert isinstance(quick.sink.terminal, Finished)  # type: ignore[attr-defined]
    assert isinstance(stuck.sink.terminal, Interrupted)  # type: ignore[attr-defined]
    run = await store.get_run(stuck.run_id)
    assert run is not None and run.status == "interrupted"
    with pytest.raises(ShuttingDown):
        dispatcher.submit(await _job(store, _answering("late"), thread="late"))


async def test_a_broken_sink_does_not_stop_the_run_being_recorded(store: Store) -> None:
    async def finishing() -> AsyncIterator[WorkflowEvent]:
        await store.finish_run(job.run_id, status="succeeded", usage=Finished("x").usage, answer="x")
        yield Finished("x")

    dispatcher = Dispatcher(store)
    job = await _job(store, finishing, sink=BrokenSink())
    dispatcher.submit(job)
    await dispatcher.wait_idle()
    run = await store.get_run(job.run_id)
    assert run is not None and run.status == "succeeded"


async def test_a_run_carries_its_time_budget_down_to_the_upstream_calls(store: Store) -> None:
    seen: list[float | None] = []

    async def workflow() -> AsyncIterator[WorkflowEvent]:
        seen.append(remaining())  # what integrations.retry consults before sleeping
        yield Finished("done")

    dispatcher = Dispatcher(store, run_timeout=30.0)
    dispatcher.submit(await _job(store, workflow))
    await dispatcher.wait_idle()

    (left,) = seen
    assert left is not None and 0 < left <= 30.0
    assert remaining() is None  # and nothing leaks out of the run


async def test_cancel_stops_one_run_keeps_its_partial_answer_and_marks_it_stopped(store: Store) -> None:
    dispatcher = Dispatcher(store)
    streamed = asyncio.Event()

    async def stuck_after_partial() -> AsyncIterator[WorkflowEvent]:
        yield TextDelta("partial")
        streamed.set()
        await asyncio.Event().wait()

    stuck = await _job(store, stuck_after_partial, thread="stuck")
    other = await _job(store, _answering("fine"), thread="other")
    dispatcher.submit(stuck)
    sink = stuck.sink
    assert isinstance(sink, RecordingSink)
    await streamed.wait()

    assert dispatcher.cancel(stuck.run_id) is True
    dispatcher.submit(other)
    await dispatcher.wait_idle()

    assert sink.text == "partial"
    assert isinstance(sink.terminal, Interrupted) and sink.terminal.message == STOPPED
    run = await store.get_run(stuck.run_id)
    assert run is not None and run.status == "interrupted"
    assert isinstance(other.sink.terminal, Finished)  # type: ignore[attr-defined]
    assert dispatcher.cancel(stuck.run_id) is False  # already over: nothing to stop
