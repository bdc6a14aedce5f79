"""One count of a run, told everywhere: the usage a run's sinks are shown (the footer under the
answer) is what its stored trace adds up to, for runs where the model library counts otherwise.
Durable runs (real DBOS) of the ask workflow on the simulated LLM and Jira, a real store."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.agent import PydanticAgent, build_agent
from bot.agent.write_tools import write_specs
from bot.approvals.desk import ApprovalDesk
from bot.events import Finished
from bot.lookup.mentions import Mentions
from bot.ports import Origin, Sink, SinkFactory
from bot.runs.durable import Runs, run_queue
from bot.runs.engine import Engine
from bot.runs.traces import RunTrace, RunTraces
from bot.slack.delivery.footer import FooterSink
from bot.store.approvals import Approvals
from bot.store.store import Store
from bot.workflows.intake import Inquiry, Intake
from integrations.jira.client import JiraClient
from simulators.llm import LLMSimulator, ToolCall
from tests.recording_sink import RecordingSink

ORIGIN = Origin("chat", "T1", "C1", "1700000000.000100", "U1", footer=True)
FOOTER = re.compile(
    r"_(?P<calls>\d+) tool calls? \((?P<tools>[^)]*)\) · (?P<tokens>[\d,]+) tokens · [\d.]+ s_$"
)


class FootedEdge:
    """Renders every run into one recording sink, under the answer footer the Slack chain adds."""

    def __init__(self) -> None:
        self.sink = RecordingSink()

    def sinks(self, origin: Origin) -> SinkFactory:
        def build(run_id: str) -> Sink:
            return FooterSink(self.sink)

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
        writes=write_specs(jira, None),
        llm_retries=0,
    )
    yield built
    await built.aclose()


@pytest.fixture
async def runs(store: Store, database_url: str) -> AsyncIterator[Runs]:
    engine = Engine.beside(
        database_url, app_name="chatops-test", executor_id="test@here", queues=[run_queue(4)]
    )
    running = Runs(store, engine, shutdown_grace=0.5)
    yield running
    await running.shutdown()


@pytest.fixture
async def edge(runs: Runs) -> FootedEdge:
    footed = FootedEdge()
    runs.route(ORIGIN.surface, footed)
    await runs.start()
    return footed


@pytest.fixture
def intake(store: Store, agent: PydanticAgent, runs: Runs, jira: JiraClient) -> Intake:
    desk = ApprovalDesk(
        Approvals(store, ttl=timedelta(minutes=15)),
        write_specs(jira, None),
        store=store,
        agent=agent,
        runs=runs,
    )
    return Intake(store, agent, runs, context=Mentions(jira), desk=desk)


async def _answered(intake: Intake, runs: Runs, store: Store, text: str) -> RunTrace:
    run_id = await intake.accept(Inquiry("T1", "C1", ORIGIN.thread_ts, "U1", text, "mention"), ORIGIN)
    await runs.wait_idle()
    trace = await RunTraces(store).trace(run_id)
    assert trace is not None
    return trace


def _assert_told_as_traced(finished: Finished, trace: RunTrace) -> None:
    """The footer and the Finished event a sink got say what the stored trace shows."""
    tokens = sum(call.input_tokens + call.output_tokens for call in trace.llm)
    assert finished.usage == trace.run.usage
    assert (trace.run.usage.tool_calls, trace.run.usage.requests) == (len(trace.tools), len(trace.llm))
    assert trace.run.usage.input_tokens + trace.run.usage.output_tokens == tokens > 0
    footer = FOOTER.search(finished.text)
    assert footer is not None, finished.text
    assert int(footer["calls"]) == len(trace.tools)
    assert footer["tools"].split(", ") == list(dict.fromkeys(call.name for call in trace.tools))
    assert int(footer["tokens"].replace(",", "")) == tokens


async def test_a_run_with_a_prefetched_key_a_memo_read_and_a_refused_call_is_told_as_traced(
    intake: Intake, runs: Runs, store: Store, llm: LLMSimulator, edge: FootedEdge
) -> None:
    # OPS-2 is read before the agent runs, then again by the tool (from the run's read memo); the
    # second call's arguments are refused. The model library counts one tool call; the trace two.
    llm.script(
        [[ToolCall("jira_get_issue", {"key": "OPS-2"}), ToolCall("jira_get_issue", {"kez": 1})], "Blocked."]
    )

    trace = await _answered(intake, runs, store, "what about OPS-2?")

    finished = edge.sink.terminal
    assert isinstance(finished, Finished) and finished.text.startswith("Blocked.")
    assert sorted((call.name, call.outcome) for call in trace.tools) == [
        ("jira_get_issue", "done"),
        ("jira_get_issue", "failed"),
    ]
    _assert_told_as_traced(finished, trace)


async def test_a_run_that_pauses_at_a_proposed_write_is_told_as_traced(
    intake: Intake, runs: Runs, store: Store, llm: LLMSimulator, edge: FootedEdge
) -> None:
    # Before it pauses the model reads OPS-1 and proposes a comment: two requests, two tool calls.
    llm.script(
        [
            [ToolCall("jira_get_issue", {"key": "OPS-1"})],
            [ToolCall("jira_add_comment", {"key": "OPS-1", "body": "Deployed."})],
        ]
    )

    trace = await _answered(intake, runs, store, "note the deploy on OPS-1")

    finished = edge.sink.terminal
    assert isinstance(finished, Finished)
    assert [(call.name, call.outcome) for call in trace.tools] == [
        ("jira_get_issue", "done"),
        ("jira_add_comment", "proposed"),
    ]
    assert len(trace.llm) == 2, "the paused run's requests are in its trace"
    _assert_told_as_traced(finished, trace)
