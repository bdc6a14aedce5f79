"""What a click on an answer's Stop button does, against a real store and dispatcher."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from bot.events import Finished, Interrupted, TextDelta, Usage, WorkflowEvent
from bot.runs.dispatcher import STOPPED, Dispatcher, RunJob
from bot.slack.blocks.stop import ANSWER_STOP, stop_blocks
from bot.slack.listeners.stop import ALREADY_FINISHED, AnswerStopper, only_the_asker
from bot.store.store import Store
from tests.manual_clock import until
from tests.recording_sink import RecordingSink

TEAM = "T0TEAM"
ASKER = "U0ASKER"


@dataclass
class Running:
    run_id: str
    sink: RecordingSink
    dispatcher: Dispatcher
    stopper: AnswerStopper


def _partial_then_waiting() -> AsyncIterator[WorkflowEvent]:
    async def workflow() -> AsyncIterator[WorkflowEvent]:
        yield TextDelta("half of the answer")
        await asyncio.Event().wait()  # the rest never comes unless the run is stopped

    return workflow()


async def _start(store: Store) -> Running:
    conversation = await store.open_conversation(TEAM, "C0CHANNEL", "1700000000.000100")
    run_id = await store.create_run(conversation, trigger="ask", user_id=ASKER)
    dispatcher = Dispatcher(store)
    sink = RecordingSink()
    dispatcher.submit(RunJob(run_id, conversation, _partial_then_waiting, sink))
    await until(lambda: bool(sink.events))  # the partial answer is out: the run is in flight
    return Running(run_id, sink, dispatcher, AnswerStopper(store, dispatcher.cancel))


async def test_the_button_carries_the_run_id() -> None:
    [actions] = stop_blocks("run-1")
    [button] = actions["elements"]
    assert (actions["type"], button["action_id"], button["value"]) == ("actions", ANSWER_STOP, "run-1")


async def test_the_askers_click_stops_the_run_and_keeps_the_partial_answer(store: Store) -> None:
    running = await _start(store)

    assert await running.stopper.click(running.run_id, team_id=TEAM, user_id=ASKER) is None
    await running.dispatcher.wait_idle()

    assert running.sink.text == "half of the answer"
    assert running.sink.terminal == Interrupted(STOPPED)
    run = await store.get_run(running.run_id)
    assert run is not None and run.status == "interrupted"


@pytest.mark.parametrize(("team_id", "user_id"), [(TEAM, "U0SOMEONE"), ("T0OTHER", ASKER)])
async def test_anyone_else_is_told_who_can_stop_it_and_the_run_goes_on(
    store: Store, team_id: str, user_id: str
) -> None:
    running = await _start(store)

    reply = await running.stopper.click(running.run_id, team_id=team_id, user_id=user_id)

    assert reply == only_the_asker(ASKER) == f"Only <@{ASKER}> can stop this answer."
    await asyncio.sleep(0.05)  # room for a wrongly cancelled run to end
    assert running.dispatcher.active == 1 and len(running.sink.events) == 1
    run = await store.get_run(running.run_id)
    assert run is not None and not run.finished
    running.dispatcher.cancel(running.run_id)
    await running.dispatcher.wait_idle()


async def test_a_click_after_the_run_ended_changes_nothing(store: Store) -> None:
    conversation = await store.open_conversation(TEAM, "C0CHANNEL", "1700000000.000200")
    run_id = await store.create_run(conversation, trigger="ask", user_id=ASKER)
    dispatcher = Dispatcher(store)
    sink = RecordingSink()

    async def answering() -> AsyncIterator[WorkflowEvent]:
        yield TextDelta("the whole answer")
        yield Finished("the whole answer")

    dispatcher.submit(RunJob(run_id, conversation, answering, sink))
    await dispatcher.wait_idle()
    await store.finish_run(run_id, status="succeeded", usage=Usage())
    stopper = AnswerStopper(store, dispatcher.cancel)

    assert await stopper.click(run_id, team_id=TEAM, user_id=ASKER) == ALREADY_FINISHED
    assert await stopper.click("no-such-run", team_id=TEAM, user_id=ASKER) == ALREADY_FINISHED
    assert sink.terminal == Finished("the whole answer")
    run = await store.get_run(run_id)
    assert run is not None and run.status == "succeeded"


async def test_a_double_click_stops_the_run_once(store: Store) -> None:
    running = await _start(store)

    replies = await asyncio.gather(
        running.stopper.click(running.run_id, team_id=TEAM, user_id=ASKER),
        running.stopper.click(running.run_id, team_id=TEAM, user_id=ASKER),
    )
    await running.dispatcher.wait_idle()

    assert None in replies and set(replies) <= {None, ALREADY_FINISHED}
    assert running.sink.of_type(Interrupted) == [Interrupted(STOPPED)]
    run = await store.get_run(running.run_id)
    assert run is not None and run.status == "interrupted"
