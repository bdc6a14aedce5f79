"""Intake: a question is checked, stored the moment it arrives, and run by the dispatcher into the
sink built for its run; a stop request ends it, and a closing bot takes nothing new."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.agent import PydanticAgent, build_agent
from bot.errors import InputRejected, ShuttingDown
from bot.events import Finished, Interrupted
from bot.ports import Sink
from bot.runs.dispatcher import STOPPED, Dispatcher
from bot.store.store import Store
from bot.workflows.intake import Inquiry, Intake
from integrations.jira.client import JiraClient
from simulators.llm import LLMSimulator
from tests.manual_clock import until
from tests.recording_sink import RecordingSink

TEAM, CHANNEL, THREAD = "T1", "C1", "1700000000.000100"


class Sinks:
    """A sink factory that remembers which run each sink was built for."""

    def __init__(self) -> None:
        self.sink = RecordingSink()
        self.runs: list[str] = []

    def __call__(self, run_id: str) -> Sink:
        self.runs.append(run_id)
        return self.sink


@pytest.fixture
async def agent(llm: LLMSimulator, jira: JiraClient) -> AsyncIterator[PydanticAgent]:
    built = build_agent(
        provider="openai",
        base_url=llm.base_url,
        api_key="sk",
        model="simulated-model",
        jira=jira,
        github=None,
    )
    yield built
    await built.aclose()


@pytest.fixture
async def dispatcher(store: Store) -> AsyncIterator[Dispatcher]:
    running = Dispatcher(store)
    yield running
    await running.shutdown()


@pytest.fixture
def intake(store: Store, agent: PydanticAgent, dispatcher: Dispatcher) -> Intake:
    return Intake(store, agent, dispatcher, max_chars=100)


def _inquiry(text: str) -> Inquiry:
    return Inquiry(TEAM, CHANNEL, THREAD, "U1", text, "mention")


async def test_a_question_is_stored_then_answered_into_the_sink_of_its_run(
    intake: Intake, store: Store, dispatcher: Dispatcher
) -> None:
    sinks = Sinks()

    run_id = await intake.accept(_inquiry("  why is OPS-2 blocked?\x00 "), sinks)
    await dispatcher.wait_idle()

    assert sinks.runs == [run_id]
    assert isinstance(sinks.sink.terminal, Finished)
    run = await store.get_run(run_id)
    assert run is not None and (run.trigger, run.status, run.user_id) == ("mention", "succeeded", "U1")
    turns = await store.history(run.conversation_id)
    assert [(t.role, t.text) for t in turns][0] == ("user", "why is OPS-2 blocked?")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (" \x00 ", "Ask me a question, e.g. `why is OPS-2 blocked?`"),
        ("x" * 1001, "That question is 1,001 characters long; the limit is 100."),
    ],
)
async def test_an_empty_or_overlong_question_is_refused_and_nothing_is_stored(
    intake: Intake, store: Store, text: str, message: str
) -> None:
    with pytest.raises(InputRejected) as refused:
        await intake.accept(_inquiry(text), Sinks())

    assert refused.value.message == message
    assert await store.find_conversation(TEAM, CHANNEL, THREAD) is None


async def test_a_closing_bot_takes_no_new_question(
    intake: Intake, store: Store, dispatcher: Dispatcher
) -> None:
    await dispatcher.shutdown()

    with pytest.raises(ShuttingDown):
        await intake.accept(_inquiry("why is OPS-2 blocked?"), Sinks())

    assert await store.find_conversation(TEAM, CHANNEL, THREAD) is None


async def test_stop_ends_a_run_in_flight_interrupted_and_nothing_else(
    intake: Intake, store: Store, dispatcher: Dispatcher, llm: LLMSimulator
) -> None:
    llm.stall_next(30)
    sinks = Sinks()
    run_id = await intake.accept(_inquiry("why is OPS-2 blocked?"), sinks)
    await until(lambda: len(llm.chat_requests()) == 1)

    assert intake.stop(run_id)
    await dispatcher.wait_idle()

    assert sinks.sink.terminal == Interrupted(STOPPED)
    run = await store.get_run(run_id)
    assert run is not None and run.status == "interrupted"
    assert not intake.stop(run_id), "it is no longer in flight"
    assert not intake.stop("no-such-run")


def test_clean_trims_and_drops_nul_characters(intake: Intake) -> None:
    assert intake.clean("\x00  why?\x00\n") == "why?"
    assert intake.clean("x" * 100) == "x" * 100
