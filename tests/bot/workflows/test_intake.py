"""Intake: a question is checked, stored the moment it arrives, and run as a durable run (real DBOS)
rendered by the sink its origin's edge builds; a stop request ends it, and a closing bot takes
nothing new."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from dbos import DBOS

from bot.agent import PydanticAgent, build_agent
from bot.errors import InputRejected, ShuttingDown
from bot.events import Finished, Interrupted
from bot.ports import Origin, Sink, SinkFactory
from bot.runs.durable import STOPPED, Runs, run_queue
from bot.runs.engine import Engine
from bot.store.store import Store
from bot.workflows.intake import Inquiry, Intake
from integrations.jira.client import JiraClient
from simulators.llm import LLMSimulator
from tests.manual_clock import until
from tests.recording_sink import RecordingSink

TEAM, CHANNEL, THREAD = "T1", "C1", "1700000000.000100"
ORIGIN = Origin("chat", TEAM, CHANNEL, THREAD, "U1", footer=True)


class Edge:
    """The test's edge: one recording sink, and the origin and run each sink was built for."""

    def __init__(self) -> None:
        self.sink = RecordingSink()
        self.built: list[tuple[Origin, str]] = []

    def sinks(self, origin: Origin) -> SinkFactory:
        def build(run_id: str) -> Sink:
            self.built.append((origin, run_id))
            return self.sink

        return build

    async def retire(self, origin: Origin, run_id: str) -> None:
        return None


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
def edge() -> Edge:
    return Edge()


@pytest.fixture
async def runs(store: Store, database_url: str, edge: Edge) -> AsyncIterator[Runs]:
    engine = Engine.beside(
        database_url, app_name="chatops-test", executor_id="test@here", queues=[run_queue(4)]
    )
    running = Runs(store, engine, shutdown_grace=0.5)
    running.route(ORIGIN.surface, edge)
    yield running
    await running.shutdown()


@pytest.fixture
def intake(store: Store, agent: PydanticAgent, runs: Runs) -> Intake:
    return Intake(store, agent, runs, max_chars=100)


async def _settled(run_id: str) -> None:
    for _ in range(500):
        status = await DBOS.get_workflow_status_async(run_id)
        if status is not None and status.status not in ("ENQUEUED", "PENDING"):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"workflow {run_id} did not end")


def _inquiry(text: str) -> Inquiry:
    return Inquiry(TEAM, CHANNEL, THREAD, "U1", text, "mention")


async def test_a_question_is_stored_then_answered_into_the_sink_its_origin_routes_to(
    intake: Intake, store: Store, runs: Runs, edge: Edge
) -> None:
    run_id = await intake.accept(_inquiry("  why is OPS-2 blocked?\x00 "), ORIGIN)
    await runs.wait_idle()

    assert edge.built == [(ORIGIN, run_id)]
    assert isinstance(edge.sink.terminal, Finished)
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
        await intake.accept(_inquiry(text), ORIGIN)

    assert refused.value.message == message
    assert await store.find_conversation(TEAM, CHANNEL, THREAD) is None


async def test_a_closing_bot_takes_no_new_question(intake: Intake, store: Store, runs: Runs) -> None:
    await runs.shutdown()

    with pytest.raises(ShuttingDown):
        await intake.accept(_inquiry("why is OPS-2 blocked?"), ORIGIN)

    assert await store.find_conversation(TEAM, CHANNEL, THREAD) is None


async def test_stop_ends_a_run_in_flight_interrupted_and_nothing_else(
    intake: Intake, store: Store, runs: Runs, edge: Edge, llm: LLMSimulator
) -> None:
    llm.stall_next(30)
    run_id = await intake.accept(_inquiry("why is OPS-2 blocked?"), ORIGIN)
    await until(lambda: len(llm.chat_requests()) == 1, steps=20_000)

    assert await intake.stop(run_id)
    await runs.wait_idle()

    assert edge.sink.terminal == Interrupted(STOPPED)
    run = await store.get_run(run_id)
    assert run is not None and run.status == "interrupted"
    await _settled(run_id)  # DBOS records the workflow's end a moment after the run's own
    assert not await intake.stop(run_id), "it is no longer in flight"
    assert not await intake.stop("no-such-run")


async def test_the_stop_on_a_stream_stops_the_run_this_process_renders(
    intake: Intake, store: Store, runs: Runs, edge: Edge, llm: LLMSimulator
) -> None:
    llm.stall_next(30)
    run_id = await intake.accept(_inquiry("why is OPS-2 blocked?"), ORIGIN)
    await until(lambda: len(llm.chat_requests()) == 1, steps=20_000)

    assert intake.stop_here(run_id)
    await runs.wait_idle()

    assert edge.sink.terminal == Interrupted(STOPPED)
    assert not intake.stop_here(run_id), "it is no longer in flight"
    assert not intake.stop_here("no-such-run")


def test_clean_trims_and_drops_nul_characters(intake: Intake) -> None:
    assert intake.clean("\x00  why?\x00\n") == "why?"
    assert intake.clean("x" * 100) == "x" * 100
