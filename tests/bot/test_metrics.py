"""Metrics fed by real durable runs (DBOS on each database) running real programs, read back from the
Prometheus text."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from prometheus_client import REGISTRY

from bot.events import Failed, Finished, TextDelta, ToolFinished, ToolStarted, Usage, WorkflowEvent
from bot.metrics import Metrics, request_kind
from bot.ports import OneSink, Origin
from bot.runs.durable import RunOrder, Runs, run_queue
from bot.runs.engine import Engine
from bot.store.store import Store
from tests.manual_clock import ManualClock, until
from tests.recording_sink import RecordingSink

MakeRuns = Callable[[Metrics], Runs]


def sample(metrics: Metrics, name: str, **labels: str) -> float:
    value = metrics.registry.get_sample_value(name, labels)
    return 0.0 if value is None else value


@pytest.fixture
async def make_runs(store: Store, database_url: str) -> AsyncIterator[MakeRuns]:
    """Runs feeding ``metrics``, wired as build_services wires them."""
    made: list[Runs] = []

    def make(metrics: Metrics, sink: RecordingSink | None = None) -> Runs:
        engine = Engine.beside(
            database_url, app_name="chatops-test", executor_id="test@here", queues=[run_queue(4)]
        )
        runs = Runs(store, engine, shutdown_grace=0.5, metrics=metrics)
        metrics.watch_runs(lambda: runs.running, lambda: runs.queued)
        runs.route("chat", OneSink(sink or RecordingSink()))
        made.append(runs)
        return runs

    yield make
    for runs in made:
        await runs.shutdown()


async def _order(store: Store, program: str, thread: str = "1.0") -> RunOrder:
    conversation = await store.open_conversation("T1", "C1", thread)
    run_id = await store.create_run(conversation, trigger="ask", user_id="U1")
    return RunOrder(run_id, conversation, program, None, Origin("chat", "T1", "C1", thread, "U1"))


async def test_a_run_is_measured_with_the_injected_clock(store: Store, make_runs: MakeRuns) -> None:
    clock = ManualClock()
    metrics = Metrics(model="m1", tools=["jira_get_issue"], clock=clock)
    gate = asyncio.Event()
    shown = RecordingSink()

    async def program(_payload: Any) -> AsyncIterator[WorkflowEvent]:
        await gate.wait()
        yield ToolStarted("c1", "jira_get_issue", "Jira: get OPS-2")
        yield ToolFinished("c1", "jira_get_issue", True, "OPS-2: Blocked", duration_ms=250)
        yield ToolFinished("c2", "made_up_tool", False, "unknown tool", duration_ms=5)
        clock.advance(2.0)
        yield TextDelta("OPS-2 waits on OPS-1.")
        # The sink renders beside the program: the first reply counts once it is shown.
        await until(lambda: shown.text != "", steps=20_000)
        clock.advance(3.0)
        yield Finished("OPS-2 waits on OPS-1.", Usage(input_tokens=120, output_tokens=30, requests=2))

    runs = make_runs(metrics, shown)
    runs.program("measured", program)
    await runs.submit(await _order(store, "measured"))
    await until(lambda: runs.running == 1, steps=20_000)
    assert sample(metrics, "chatops_runs_in_flight") == 1
    gate.set()
    await runs.wait_idle()

    assert sample(metrics, "chatops_runs_total", outcome="succeeded") == 1
    assert sample(metrics, "chatops_run_duration_seconds_sum", outcome="succeeded") == 5.0
    assert sample(metrics, "chatops_first_reply_seconds_sum") == 2.0
    assert sample(metrics, "chatops_tool_call_seconds_sum", tool="jira_get_issue") == 0.25
    assert sample(metrics, "chatops_tool_errors_total", tool="other") == 1, "unknown names are not labels"
    assert sample(metrics, "chatops_tool_errors_total", tool="jira_get_issue") == 0
    assert sample(metrics, "chatops_llm_tokens_total", model="m1", direction="in") == 120
    assert sample(metrics, "chatops_llm_tokens_total", model="m1", direction="out") == 30
    assert sample(metrics, "chatops_llm_requests_total", model="m1") == 2
    assert sample(metrics, "chatops_runs_in_flight") == 0


async def test_queue_depth_counts_runs_waiting_for_their_thread(store: Store, make_runs: MakeRuns) -> None:
    metrics = Metrics()
    gate = asyncio.Event()

    async def slow(_payload: Any) -> AsyncIterator[WorkflowEvent]:
        await gate.wait()
        yield Finished("done")

    async def quick(_payload: Any) -> AsyncIterator[WorkflowEvent]:
        yield Failed("no")

    runs = make_runs(metrics)
    runs.program("slow", slow)
    runs.program("quick", quick)
    await runs.submit(await _order(store, "slow"))
    await until(lambda: runs.running == 1, steps=20_000)
    await runs.submit(await _order(store, "quick"))  # same thread: waits for the first
    await asyncio.sleep(0.3)  # three queue polls: it stays queued all along
    assert (sample(metrics, "chatops_runs_in_flight"), sample(metrics, "chatops_queue_depth")) == (1, 1)
    gate.set()
    await runs.wait_idle()
    assert (sample(metrics, "chatops_runs_in_flight"), sample(metrics, "chatops_queue_depth")) == (0, 0)
    assert sample(metrics, "chatops_runs_total", outcome="failed") == 1


def test_each_metrics_has_its_own_registry() -> None:
    first, second = Metrics(), Metrics()
    first.slack_call("chat.postMessage", 429)
    assert sample(first, "chatops_slack_rate_limited_total", method="chat.postMessage") == 1
    assert sample(second, "chatops_slack_api_calls_total", method="chat.postMessage") == 0
    assert REGISTRY.get_sample_value("chatops_slack_api_calls_total", {"method": "chat.postMessage"}) is None


def test_a_slack_method_that_is_not_a_method_name_is_not_a_label() -> None:
    metrics = Metrics()
    metrics.slack_call("C0123ABC?x=<script>", 200)
    assert sample(metrics, "chatops_slack_api_calls_total", method="other") == 1


def test_mcp_calls_and_tool_list_changes_are_exposed_by_server_and_tool() -> None:
    metrics = Metrics()
    metrics.mcp_call("desk", "incident_get", "ok", 0.2)
    metrics.mcp_call("desk", "flag_set", "proposed", 0.0)
    metrics.mcp_tool_list_changed("desk")
    text = metrics.exposition().decode()
    assert 'chatops_mcp_calls_total{outcome="ok",server="desk",tool="incident_get"} 1.0' in text
    assert 'chatops_mcp_calls_total{outcome="proposed",server="desk",tool="flag_set"} 1.0' in text
    assert 'chatops_mcp_call_seconds_count{server="desk"} 2.0' in text
    assert 'chatops_mcp_tool_list_changes_total{server="desk"} 1.0' in text


def test_mcp_tool_names_are_capped_as_labels() -> None:
    metrics = Metrics()
    for index in range(250):
        metrics.mcp_call("desk", f"tool_{index}", "ok", 0.1)
    metrics.mcp_call("desk", "no spaces <here>", "failed", 0.1)
    assert sample(metrics, "chatops_mcp_calls_total", server="desk", tool="tool_199", outcome="ok") == 1
    assert sample(metrics, "chatops_mcp_calls_total", server="desk", tool="other", outcome="ok") == 50
    assert sample(metrics, "chatops_mcp_calls_total", server="desk", tool="other", outcome="failed") == 1
    metrics.mcp_call("desk", "tool_0", "ok", 0.1)  # a tool already labelled keeps its label
    assert sample(metrics, "chatops_mcp_calls_total", server="desk", tool="tool_0", outcome="ok") == 2


@pytest.mark.parametrize(
    ("content_type", "body", "kind"),
    [
        ("application/json", '{"type": "event_callback"}', "event"),
        ("application/x-www-form-urlencoded", "token=x&command=%2Fask&text=hi", "command"),
        ("application/x-www-form-urlencoded", "payload=%7B%22type%22%3A%22block_actions%22%7D", "action"),
        ("application/x-www-form-urlencoded", "token=x", "other"),
    ],
)
def test_request_kind(content_type: str, body: str, kind: str) -> None:
    assert request_kind(content_type, body) == kind
