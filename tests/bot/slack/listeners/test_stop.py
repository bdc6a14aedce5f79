"""What a click on an answer's Stop button does, against a real store and the real durable runs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from bot.events import Finished, Interrupted, TextDelta, Usage, WorkflowEvent
from bot.ports import OneSink, Origin
from bot.runs.durable import STOPPED, RunOrder, Runs, run_queue
from bot.runs.engine import SLACK_APP, Engine
from bot.slack.blocks.stop import ANSWER_STOP, stop_blocks
from bot.slack.listeners.stop import ALREADY_FINISHED, AnswerStopper, only_the_asker
from bot.store.store import Store
from tests.manual_clock import until
from tests.recording_sink import RecordingSink

TEAM = "T0TEAM"
ASKER = "U0ASKER"
CHANNEL = "C0CHANNEL"
SURFACE = "test"


@dataclass
class Running:
    run_id: str
    sink: RecordingSink
    runs: Runs
    stopper: AnswerStopper


async def _partial_then_waiting(_payload: object) -> AsyncIterator[WorkflowEvent]:
    yield TextDelta("half of the answer")
    await asyncio.Event().wait()  # the rest never comes unless the run is stopped


async def _answering(_payload: object) -> AsyncIterator[WorkflowEvent]:
    yield TextDelta("the whole answer")
    yield Finished("the whole answer")


@pytest.fixture
async def runs(store: Store, database_url: str) -> AsyncIterator[Runs]:
    """This process's durable runs on the test's database, with the two programs above."""
    engine = Engine.beside(database_url, app_name=SLACK_APP, executor_id="test-stop", queues=[run_queue(4)])
    started = Runs(store, engine)
    started.program("partial", _partial_then_waiting)
    started.program("answering", _answering)
    await started.start()
    yield started
    await started.shutdown()


async def _submit(store: Store, runs: Runs, program: str, thread_ts: str) -> tuple[str, RecordingSink]:
    conversation = await store.open_conversation(TEAM, CHANNEL, thread_ts)
    run_id = await store.create_run(conversation, trigger="ask", user_id=ASKER)
    sink = RecordingSink()
    runs.route(SURFACE, OneSink(sink))
    origin = Origin(SURFACE, TEAM, CHANNEL, thread_ts, ASKER)
    await runs.submit(RunOrder(run_id, conversation, program, None, origin))
    return run_id, sink


async def _start(store: Store, runs: Runs) -> Running:
    run_id, sink = await _submit(store, runs, "partial", "1700000000.000100")
    await until(lambda: bool(sink.events))  # the partial answer is out: the run is in flight
    return Running(run_id, sink, runs, AnswerStopper(store, runs.stop))


async def test_the_button_carries_the_run_id() -> None:
    [actions] = stop_blocks("run-1")
    [button] = actions["elements"]
    assert (actions["type"], button["action_id"], button["value"]) == ("actions", ANSWER_STOP, "run-1")


async def test_the_askers_click_stops_the_run_and_keeps_the_partial_answer(store: Store, runs: Runs) -> None:
    running = await _start(store, runs)

    assert await running.stopper.click(running.run_id, team_id=TEAM, user_id=ASKER) is None
    await running.runs.wait_idle()

    assert running.sink.text == "half of the answer"
    assert running.sink.terminal == Interrupted(STOPPED)
    run = await store.get_run(running.run_id)
    assert run is not None and run.status == "interrupted"


@pytest.mark.parametrize(("team_id", "user_id"), [(TEAM, "U0SOMEONE"), ("T0OTHER", ASKER)])
async def test_anyone_else_is_told_who_can_stop_it_and_the_run_goes_on(
    store: Store, runs: Runs, team_id: str, user_id: str
) -> None:
    running = await _start(store, runs)

    reply = await running.stopper.click(running.run_id, team_id=team_id, user_id=user_id)

    assert reply == only_the_asker(ASKER) == f"Only <@{ASKER}> can stop this answer."
    await asyncio.sleep(0.05)  # room for a wrongly cancelled run to end
    assert running.runs.running == 1 and len(running.sink.events) == 1
    run = await store.get_run(running.run_id)
    assert run is not None and not run.finished
    assert await running.runs.stop(running.run_id)
    await running.runs.wait_idle()


async def test_a_click_after_the_run_ended_changes_nothing(store: Store, runs: Runs) -> None:
    run_id, sink = await _submit(store, runs, "answering", "1700000000.000200")
    await runs.wait_idle()
    await store.finish_run(run_id, status="succeeded", usage=Usage())
    stopper = AnswerStopper(store, runs.stop)

    assert await stopper.click(run_id, team_id=TEAM, user_id=ASKER) == ALREADY_FINISHED
    assert await stopper.click("no-such-run", team_id=TEAM, user_id=ASKER) == ALREADY_FINISHED
    assert sink.terminal == Finished("the whole answer")
    run = await store.get_run(run_id)
    assert run is not None and run.status == "succeeded"


async def test_a_double_click_stops_the_run_once(store: Store, runs: Runs) -> None:
    running = await _start(store, runs)

    replies = await asyncio.gather(
        running.stopper.click(running.run_id, team_id=TEAM, user_id=ASKER),
        running.stopper.click(running.run_id, team_id=TEAM, user_id=ASKER),
    )
    await running.runs.wait_idle()

    assert None in replies and set(replies) <= {None, ALREADY_FINISHED}
    assert running.sink.of_type(Interrupted) == [Interrupted(STOPPED)]
    run = await store.get_run(running.run_id)
    assert run is not None and run.status == "interrupted"


# -- Slack's own Stop on a thread's agent session (agent_session_stopped) --------------------------


async def test_slacks_session_stop_by_the_asker_stops_the_threads_run(store: Store, runs: Runs) -> None:
    running = await _start(store, runs)

    stopped = await running.stopper.session_stopped(
        team_id=TEAM, channel_id=CHANNEL, thread_ts="1700000000.000100", user_id=ASKER
    )
    await running.runs.wait_idle()

    assert stopped is None
    assert running.sink.text == "half of the answer"
    assert running.sink.terminal == Interrupted(STOPPED)


@pytest.mark.parametrize(
    ("user_id", "thread_ts", "reply"),
    [
        ("U0SOMEONE", "1700000000.000100", only_the_asker(ASKER)),
        (ASKER, "1700000000.000999", ALREADY_FINISHED),  # another thread: nothing of it runs
    ],
)
async def test_slacks_session_stop_leaves_the_run_to_anyone_else_and_other_threads(
    store: Store, runs: Runs, user_id: str, thread_ts: str, reply: str
) -> None:
    running = await _start(store, runs)

    told = await running.stopper.session_stopped(
        team_id=TEAM, channel_id=CHANNEL, thread_ts=thread_ts, user_id=user_id
    )

    assert told == reply
    await asyncio.sleep(0.05)  # room for a wrongly cancelled run to end
    run = await store.get_run(running.run_id)
    assert run is not None and not run.finished
    assert await running.runs.stop(running.run_id)
    await running.runs.wait_idle()
