"""Workflows that end in a proposed write, run as durable runs (real DBOS) in the asker's thread: the
draft is shown, its write filed with the approval desk as a paused run, and failures said plainly."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from dbos import DBOS

from bot.agent import build_agent
from bot.agent.drafter import PydanticDrafter
from bot.agent.write_tools import write_specs
from bot.approvals.desk import ApprovalDesk
from bot.errors import ShuttingDown
from bot.events import ApprovalRequested, Failed, Finished, StatusChanged
from bot.ports import OneSink, Origin, Turn
from bot.pricing import PriceTable
from bot.runs.durable import Runs, run_queue
from bot.runs.engine import Engine
from bot.runs.traces import RunTraces
from bot.runs.usage import run_usage
from bot.store.approvals import Approvals, Asker
from bot.store.store import Store
from bot.workflows.drafted_writes import NO_DESK, DraftedWrites, issue_text, request_task
from bot.workflows.issue_draft import IssueDraft, IssueDrafter, IssueDraftResult, IssueRequest
from bot.workflows.triage import Triager
from integrations.github.client import GitHubClient
from integrations.jira.client import JiraClient
from simulators.llm import LLMSimulator, ToolCall
from tests.recording_sink import RecordingSink

ASKER = Asker(team_id="T1", user_id="U1", channel="C1", thread_ts="1700000000.000100")
THREAD = (Turn("user", "checkout returns a 500 since the deploy, urgent"),)
ORIGIN = Origin("chat", ASKER.team_id, ASKER.channel, ASKER.thread_ts, ASKER.user_id, desk=True)
# Priced per request by the model that answered; the configured default has no price.
PRICES = PriceTable.from_setting("simulated-model=1000000:2000000")
UNPRICED_DEFAULT = "no-such-model"


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()


@pytest.fixture
async def runs(store: Store, database_url: str, sink: RecordingSink) -> AsyncIterator[Runs]:
    engine = Engine.beside(
        database_url, app_name="chatops-test", executor_id="test@here", queues=[run_queue(4)]
    )
    running = Runs(store, engine, shutdown_grace=0.5)
    running.route(ORIGIN.surface, OneSink(sink))  # every run of these tests renders into `sink`
    yield running
    await running.shutdown()


@pytest.fixture
async def desk(
    store: Store, runs: Runs, llm: LLMSimulator, jira: JiraClient, github: GitHubClient
) -> AsyncIterator[ApprovalDesk]:
    writes = write_specs(jira, github)
    agent = build_agent(
        provider="openai",
        base_url=llm.base_url,
        api_key="sk",
        model="simulated-model",
        jira=jira,
        github=github,
        writes=writes,
    )
    yield ApprovalDesk(Approvals(store), writes, store=store, agent=agent, runs=runs)
    await agent.aclose()


def _workflows(
    store: Store,
    runs: Runs,
    desk: ApprovalDesk | None,
    drafter: PydanticDrafter,
    jira: JiraClient,
    github: GitHubClient,
) -> DraftedWrites:
    return DraftedWrites(store, runs, desk, IssueDrafter(drafter), Triager(jira, github, drafter))


async def test_an_issue_from_the_thread_is_shown_then_filed_for_the_askers_approval(
    store: Store,
    runs: Runs,
    desk: ApprovalDesk,
    drafter: PydanticDrafter,
    jira: JiraClient,
    github: GitHubClient,
    sink: RecordingSink,
) -> None:
    request = IssueRequest("OPS", "track the checkout errors")

    run_id = await _workflows(store, runs, desk, drafter, jira, github).issue_from_thread(
        ASKER, request, THREAD, ORIGIN
    )
    await runs.wait_idle()

    assert sink.events[0] == StatusChanged("drafting the issue")
    assert sink.text.startswith("*Draft Jira issue for OPS* · Bug: track the checkout errors")
    (requested,) = sink.of_type(ApprovalRequested)
    assert isinstance(requested, ApprovalRequested) and requested.tool == "jira_create_issue"
    assert isinstance(sink.terminal, Finished) and sink.terminal.text == sink.text
    run = await store.get_run(run_id)
    assert run is not None and (run.trigger, run.status, run.thread_ts) == (
        "workflow",
        "succeeded",
        ASKER.thread_ts,
    )
    (record,) = await desk.approvals.for_run(run_id)
    assert record.args["project"] == "OPS" and record.user_id == ASKER.user_id
    assert not await desk.approvals.resumed(run_id)
    steps = [step["function_name"] for step in await DBOS.list_workflow_steps_async(run_id)]
    assert steps == ["draft.issue", "approvals.file"], "a resumed run reuses the draft and its filing"


async def test_the_paused_history_asks_the_agent_the_workflows_task(
    store: Store,
    runs: Runs,
    desk: ApprovalDesk,
    drafter: PydanticDrafter,
    jira: JiraClient,
    github: GitHubClient,
) -> None:
    request = IssueRequest("OPS", "track the checkout errors")
    run_id = await _workflows(store, runs, desk, drafter, jira, github).issue_from_thread(
        ASKER, request, THREAD, ORIGIN
    )
    await runs.wait_idle()
    (record,) = await desk.approvals.for_run(run_id)
    await desk.approvals.deny(record.id, ASKER.user_id)

    paused = await desk.approvals.take_resumption(run_id, "next-run")

    assert paused is not None
    asked, answered = json.loads(paused.history)
    assert asked["parts"][0]["content"] == request_task(request)
    assert answered["parts"][0]["tool_call_id"] == record.call_id
    assert request_task(request) == "Create a Jira issue in OPS from this thread: track the checkout errors"
    assert request_task(IssueRequest("OPS")) == "Create a Jira issue in OPS from this thread"


async def test_without_a_desk_the_draft_is_only_shown(
    store: Store,
    runs: Runs,
    drafter: PydanticDrafter,
    jira: JiraClient,
    github: GitHubClient,
    sink: RecordingSink,
) -> None:
    await _workflows(store, runs, None, drafter, jira, github).issue_from_thread(
        ASKER, IssueRequest("OPS"), THREAD, ORIGIN
    )
    await runs.wait_idle()

    assert sink.text.endswith(f"\n\n{NO_DESK}")
    assert sink.of_type(ApprovalRequested) == []
    assert isinstance(sink.terminal, Finished)


async def test_triage_shows_the_classification_and_files_both_updates(
    store: Store,
    runs: Runs,
    desk: ApprovalDesk,
    drafter: PydanticDrafter,
    jira: JiraClient,
    github: GitHubClient,
    sink: RecordingSink,
) -> None:
    run_id = await _workflows(store, runs, desk, drafter, jira, github).triage(ASKER, "OPS-6", ORIGIN)
    await runs.wait_idle()

    assert sink.events[0] == StatusChanged("triaging OPS-6")
    lines = sink.text.splitlines()
    assert lines[0].startswith("*Triage of OPS-6* · ")
    assert "• Component: payments" in lines
    assert "• Possible duplicates: OPS-5" in lines and "• Suggested owner: fmulder" in lines
    assert any(line.startswith("• Severity: minor (suggests priority ") for line in lines)
    requested = [e.tool for e in sink.events if isinstance(e, ApprovalRequested)]
    assert requested == ["jira_add_comment", "jira_assign"]
    assert [r.tool for r in await desk.approvals.for_run(run_id)] == ["jira_add_comment", "jira_assign"]


async def test_a_triage_is_a_run_priced_by_its_requests_and_told_as_traced(
    store: Store,
    runs: Runs,
    desk: ApprovalDesk,
    drafter: PydanticDrafter,
    jira: JiraClient,
    github: GitHubClient,
    sink: RecordingSink,
) -> None:
    run_id = await _workflows(store, runs, desk, drafter, jira, github).triage(ASKER, "OPS-6", ORIGIN)
    await runs.wait_idle()

    trace = await RunTraces(store).trace(run_id)
    assert trace is not None
    usage = trace.run.usage
    assert len(trace.llm) == usage.requests == 1 and usage.input_tokens > 0 and usage.output_tokens > 0
    cost = trace.cost(PRICES, UNPRICED_DEFAULT)
    assert cost is not None and cost > 0
    (priced,) = await run_usage(store, PRICES, UNPRICED_DEFAULT)
    assert (priced.requests, priced.cost) == (1, cost)
    # Its proposed updates are steps of the run, waiting for the asker; the sinks were told the same.
    assert [(call.name, call.outcome) for call in trace.tools] == [
        ("jira_add_comment", "proposed"),
        ("jira_assign", "proposed"),
    ]
    finished = sink.terminal
    assert isinstance(finished, Finished) and finished.usage == usage and usage.tool_calls == 2


async def test_a_triage_the_model_never_gets_right_fails_but_still_records_its_cost(
    store: Store,
    runs: Runs,
    desk: ApprovalDesk,
    drafter: PydanticDrafter,
    jira: JiraClient,
    github: GitHubClient,
    llm: LLMSimulator,
    sink: RecordingSink,
) -> None:
    llm.script([[ToolCall("submit_triage", {"key": "OPS-6"})]] * 3)  # no severity, three times

    run_id = await _workflows(store, runs, desk, drafter, jira, github).triage(ASKER, "OPS-6", ORIGIN)
    await runs.wait_idle()

    failed = sink.terminal
    assert isinstance(failed, Failed) and "did not pass validation after 3 attempt(s)" in failed.message
    trace = await RunTraces(store).trace(run_id)
    assert trace is not None and trace.run.status == "failed"
    assert len(trace.llm) == trace.run.usage.requests == 3 and failed.usage == trace.run.usage
    cost = trace.cost(PRICES, UNPRICED_DEFAULT)
    assert cost is not None and cost > 0


async def test_a_failure_ends_the_run_failed_with_the_explanation(
    store: Store,
    runs: Runs,
    desk: ApprovalDesk,
    drafter: PydanticDrafter,
    jira: JiraClient,
    github: GitHubClient,
    sink: RecordingSink,
) -> None:
    run_id = await _workflows(store, runs, desk, drafter, jira, github).triage(ASKER, "OPS-999", ORIGIN)
    await runs.wait_idle()

    failed = sink.terminal
    assert isinstance(failed, Failed) and failed.message == "That was not found in Jira."
    run = await store.get_run(run_id)
    assert run is not None and (run.status, run.error) == ("failed", failed.message)
    assert await desk.approvals.for_run(run_id) == []


async def test_a_workflow_that_cannot_start_leaves_its_run_interrupted(
    store: Store,
    runs: Runs,
    desk: ApprovalDesk,
    drafter: PydanticDrafter,
    jira: JiraClient,
    github: GitHubClient,
) -> None:
    await runs.shutdown()

    with pytest.raises(ShuttingDown):
        await _workflows(store, runs, desk, drafter, jira, github).triage(ASKER, "OPS-6", ORIGIN)

    conversation = await store.find_conversation(ASKER.team_id, ASKER.channel, ASKER.thread_ts)
    assert conversation is not None
    (run,) = await store.runs(conversation)
    assert (run.status, run.error) == ("interrupted", "not started")


def test_the_issue_text_shows_only_the_details_the_draft_has() -> None:
    bare = IssueDraftResult(IssueDraft(summary="Checkout 500s"), "OPS")
    full = IssueDraftResult(
        IssueDraft(
            summary="Checkout 500s",
            type="Bug",
            priority="High",
            labels=["payments"],
            suggested_assignee="Dana",
        ),
        "OPS",
    )

    assert issue_text(bare) == "*Draft Jira issue for OPS* · Task: Checkout 500s"
    assert issue_text(full).splitlines()[1] == "priority High · payments · suggested assignee Dana"
