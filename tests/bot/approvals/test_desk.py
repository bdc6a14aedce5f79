"""The approval desk on a real store, the Jira simulator and an agent on the LLM simulator: who may
decide, a write executed exactly once, expiry, edits, and the paused run resumed once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from dbos import DBOS
from pydantic import BaseModel, ValidationError

from bot.agent import PydanticAgent, build_agent
from bot.agent.proposal_history import proposal_history
from bot.agent.write_tools import WriteToolSpec, write_specs
from bot.approvals.desk import DENIED, EXPIRED, INTERRUPTED, ApprovalDesk, field_errors
from bot.approvals.policy import WritePolicy
from bot.events import ApprovalRequested, Finished, ProposedWrite
from bot.ports import OneSink, Origin, SinkFactory
from bot.pricing import PriceTable
from bot.runs.durable import Runs, run_queue
from bot.runs.engine import Engine
from bot.runs.traces import RunTraces, render_trace
from bot.store.approvals import Approvals, Asker
from bot.store.store import Store
from bot.workflows.ask import Question, answer
from integrations.jira.client import JiraClient
from simulators.jira import JiraSimulator
from simulators.llm import LLMSimulator, ToolCall
from tests.recording_sink import RecordingSink

START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
ASKER = Asker(team_id="T1", user_id="U1", channel="C1", thread_ts="1700000000.000100")
COMMENT = {"key": "OPS-1", "body": "Deployed the fix."}
SURFACE = "chat"


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Desks:
    store: Store
    approvals: Approvals
    clock: Clock
    writes: list[WriteToolSpec[Any, Any]]
    agent: PydanticAgent
    runs: Runs
    sink: RecordingSink  # where every resumed run renders

    def desk(self, policy: WritePolicy | None = None) -> ApprovalDesk:
        return ApprovalDesk(
            self.approvals,
            self.writes,
            store=self.store,
            agent=self.agent,
            runs=self.runs,
            policy=policy,
            surface=SURFACE,
        )

    async def ask(self, desk: ApprovalDesk, llm: LLMSimulator) -> tuple[str, str]:
        """A question whose answer reads OPS-1 and proposes a comment on it, as the model does;
        the paused run's id and the approval's."""
        llm.script([[ToolCall("jira_get_issue", {"key": "OPS-1"})], [ToolCall("jira_add_comment", COMMENT)]])
        stored = await self.store.open_question(
            ASKER.team_id, ASKER.channel, ASKER.thread_ts, text="note it", trigger="mention", user_id="U1"
        )
        question = Question(stored.run_id, stored.conversation_id, stored.message_id, "U1", "note it")
        async for _ in answer(question, store=self.store, agent=self.agent, desk=desk):
            pass
        (approval,) = await self.approvals.for_run(question.run_id)
        return question.run_id, approval.id

    async def file(self, desk: ApprovalDesk, *calls: tuple[str, dict[str, Any]]) -> tuple[str, list[str]]:
        """A paused run in the asker's thread with one proposal per call; its id and the approval ids."""
        conversation = await self.store.open_conversation(ASKER.team_id, ASKER.channel, ASKER.thread_ts)
        run_id = await self.store.create_run(conversation, trigger="ask", user_id=ASKER.user_id)
        numbered = [(f"call_{i}", tool, arguments) for i, (tool, arguments) in enumerate(calls)]
        history = proposal_history("Comment on OPS-1.", numbered)
        proposals = [ProposedWrite(call_id, tool, arguments) for call_id, tool, arguments in numbered]
        requested = await desk.file(run_id, conversation, history, ASKER, proposals)
        return run_id, [request.approval_id for request in requested]


@pytest.fixture
async def runs(store: Store, database_url: str) -> AsyncIterator[Runs]:
    engine = Engine.beside(
        database_url, app_name="chatops-test", executor_id="test@here", queues=[run_queue(4)]
    )
    running = Runs(store, engine, shutdown_grace=0.5)
    yield running
    await running.shutdown()


@pytest.fixture
async def desks(store: Store, runs: Runs, llm: LLMSimulator, jira: JiraSimulator) -> AsyncIterator[Desks]:
    async with JiraClient.create(jira.url, email="bot@acme.test", api_token="token") as client:
        writes = write_specs(client, None)
        agent = build_agent(
            provider="openai",
            base_url=llm.base_url,
            api_key="sk-desk",
            model="simulated-model",
            jira=client,
            github=None,
            writes=writes,
            llm_retries=0,
        )
        sink = RecordingSink()
        runs.route(SURFACE, OneSink(sink))
        await runs.start()  # an approved write runs as a durable task
        clock = Clock()
        approvals = Approvals(store, ttl=timedelta(minutes=15), clock=clock)
        yield Desks(store, approvals, clock, writes, agent, runs, sink)
        await runs.shutdown()
        await agent.aclose()


async def test_filing_previews_each_proposal_and_says_whether_the_asker_may_approve(desks: Desks) -> None:
    conversation = await desks.store.open_conversation("T1", "C1", "1.0")
    run_id = await desks.store.create_run(conversation, trigger="ask", user_id="U1")
    proposals = [ProposedWrite("c1", "jira_add_comment", dict(COMMENT)), ProposedWrite("c2", "made_up", {})]

    requested = await desks.desk(WritePolicy.of(users=["U9"])).file(
        run_id, conversation, "[]", ASKER, proposals
    )

    assert [(r.tool, r.preview, r.user_id, r.allowed) for r in requested] == [
        ("jira_add_comment", "Comment on Jira issue OPS-1:\nDeployed the fix.", "U1", False),
        ("made_up", "(unknown write tool)", "U1", False),
    ]
    assert all(isinstance(r, ApprovalRequested) for r in requested)


async def test_the_askers_approval_writes_once_and_later_clicks_find_it_taken(
    desks: Desks, jira: JiraSimulator
) -> None:
    desk = desks.desk()
    _, (approval_id,) = await desks.file(desk, ("jira_add_comment", COMMENT))

    verdict = await desk.decide(approval_id, "approve", team_id="T1", user_id="U1")
    again = await desk.decide(approval_id, "approve", team_id="T1", user_id="U1")
    denied = await desk.decide(approval_id, "deny", team_id="T1", user_id="U1")

    assert (verdict.kind, verdict.message, verdict.final) == ("executed", "Commented on OPS-1", True)
    assert verdict.approval is not None and verdict.approval.status == "executed"
    assert (again.kind, again.final) == ("taken", False)
    assert again.message == "This proposal was already decided (executed)."
    assert denied.kind == "taken"
    assert [(w.operation, w.target) for w in jira.writes()] == [("addComment", "OPS-1")]


async def test_nobody_but_the_asker_of_the_same_workspace_decides(desks: Desks, jira: JiraSimulator) -> None:
    desk = desks.desk()
    _, (approval_id,) = await desks.file(desk, ("jira_add_comment", COMMENT))

    other_user = await desk.decide(approval_id, "approve", team_id="T1", user_id="U2")
    other_team = await desk.decide(approval_id, "deny", team_id="T2", user_id="U1")
    unknown = await desk.decide("no-such-approval", "approve", team_id="T1", user_id="U1")

    assert [other_user.kind, other_team.kind, unknown.kind] == ["not_yours", "not_yours", "unknown"]
    record = await desks.approvals.get(approval_id)
    assert record is not None and record.status == "pending"
    assert jira.writes() == []


async def test_the_write_policy_blocks_an_approval_but_not_a_denial(
    desks: Desks, jira: JiraSimulator
) -> None:
    desk = desks.desk(WritePolicy.of(channels=["C9"]))
    _, (approval_id,) = await desks.file(desk, ("jira_add_comment", COMMENT))

    forbidden = await desk.decide(approval_id, "approve", team_id="T1", user_id="U1")
    denied = await desk.decide(approval_id, "deny", team_id="T1", user_id="U1")

    assert forbidden.kind == "forbidden" and "WRITE_CHANNELS" in forbidden.message
    assert desk.refusal("U1", "C1") == forbidden.message and desk.refusal("U1", "C9") is None
    assert (denied.kind, denied.final) == ("denied", True)
    assert jira.writes() == []


async def test_a_proposal_past_its_time_expires_instead_of_running(desks: Desks, jira: JiraSimulator) -> None:
    desk = desks.desk()
    _, (approved, denied) = await desks.file(
        desk, ("jira_add_comment", COMMENT), ("jira_assign", {"key": "OPS-1", "assignee": "fmulder"})
    )
    desks.clock.now = START + timedelta(minutes=15)

    verdicts = [
        await desk.decide(approved, "approve", team_id="T1", user_id="U1"),
        await desk.decide(denied, "deny", team_id="T1", user_id="U1"),
    ]

    assert [(v.kind, v.final) for v in verdicts] == [("expired", True)] * 2
    assert all(v.approval is not None and v.approval.status == "expired" for v in verdicts)
    assert jira.writes() == []


async def test_a_refused_write_is_recorded_as_failed_in_plain_words(
    desks: Desks, jira: JiraSimulator
) -> None:
    desk = desks.desk()
    _, (approval_id,) = await desks.file(desk, ("jira_add_comment", COMMENT))
    jira.fail_next(403)

    verdict = await desk.decide(approval_id, "approve", team_id="T1", user_id="U1")

    assert verdict.kind == "failed" and verdict.final
    assert verdict.message == "The bot has no access in Jira."
    record = await desks.approvals.get(approval_id)
    assert record is not None and (record.status, record.result) == ("failed", verdict.message)


async def test_a_claim_left_by_a_dead_process_is_reported_interrupted_never_repeated(
    desks: Desks, jira: JiraSimulator
) -> None:
    desk = desks.desk()
    _, (approval_id,) = await desks.file(desk, ("jira_add_comment", COMMENT))
    assert await desks.approvals.claim(approval_id, "U1")  # the other process died mid-write

    desks.clock.now = START + timedelta(minutes=5)
    busy = await desk.decide(approval_id, "approve", team_id="T1", user_id="U1")
    desks.clock.now = START + timedelta(minutes=11)
    stale = await desk.decide(approval_id, "approve", team_id="T1", user_id="U1")

    assert (busy.kind, busy.message) == ("taken", "This change was already approved and is being made.")
    assert (stale.kind, stale.message) == ("failed", INTERRUPTED)
    assert jira.writes() == []


async def test_an_edit_is_validated_field_by_field_and_the_approved_write_sends_it(
    desks: Desks, jira: JiraSimulator
) -> None:
    desk = desks.desk()
    _, (approval_id,) = await desks.file(desk, ("jira_add_comment", COMMENT))

    invalid = await desk.revise(approval_id, {"body": ""}, team_id="T1", user_id="U1")
    not_theirs = await desk.revise(approval_id, {"body": "mine"}, team_id="T1", user_id="U2")
    edited = await desk.revise(approval_id, {"body": "Deployed v2."}, team_id="T1", user_id="U1")
    await desk.decide(approval_id, "approve", team_id="T1", user_id="U1")
    too_late = await desk.revise(approval_id, {"body": "again"}, team_id="T1", user_id="U1")

    assert not invalid.ok and invalid.errors is not None and set(invalid.errors) == {"body"}
    assert not not_theirs.ok and not_theirs.message == "Only the person who asked can edit this proposal."
    assert edited.ok and edited.preview == "Comment on Jira issue OPS-1:\nDeployed v2."
    assert not too_late.ok and "already decided" in too_late.message
    (write,) = jira.writes()
    assert "Deployed v2." in str(write.body)
    assert desk.arguments_model("jira_add_comment") is not None and desk.arguments_model("nope") is None


async def test_the_paused_run_resumes_once_all_is_decided_and_the_model_learns_each_outcome(
    desks: Desks, llm: LLMSimulator
) -> None:
    desk = desks.desk()
    run_id, (comment_id, assign_id) = await desks.file(
        desk, ("jira_add_comment", COMMENT), ("jira_assign", {"key": "OPS-1", "assignee": "fmulder"})
    )
    await desk.decide(comment_id, "approve", team_id="T1", user_id="U1")
    assert await desk.resume_if_decided(run_id) is None, "one proposal is still pending"
    await desk.decide(assign_id, "deny", team_id="T1", user_id="U1")
    llm.script(["Commented on OPS-1; the assignment was denied."])

    resumed = await desk.resume_if_decided(run_id)
    await desks.runs.wait_idle()
    replayed = await desk.resume_if_decided(run_id)

    assert resumed is not None and replayed is None
    sink = desks.sink
    assert isinstance(sink.terminal, Finished) and "denied" in sink.terminal.text
    assert len(sink.of_type(Finished)) == 1
    run = await desks.store.get_run(resumed)
    assert run is not None and (run.trigger, run.status) == ("approval", "succeeded")
    runs = await desks.store.runs(run.conversation_id)
    assert [r.id for r in runs] == [run_id, resumed], "neither the early nor the replayed call made a run"
    told = {
        m["tool_call_id"]: m["content"] for m in llm.chat_requests()[-1]["messages"] if m["role"] == "tool"
    }
    assert "Commented on OPS-1" in told["call_0"]
    assert DENIED in told["call_1"]


async def test_the_approval_that_decides_the_last_proposal_resumes_the_run_in_the_askers_thread(
    desks: Desks, llm: LLMSimulator, jira: JiraSimulator
) -> None:
    desk = desks.desk()
    run_id, (comment_id, assign_id) = await desks.file(
        desk, ("jira_add_comment", COMMENT), ("jira_assign", {"key": "OPS-1", "assignee": "fmulder"})
    )
    await desk.decide(assign_id, "deny", team_id="T1", user_id="U1")
    llm.script(["Commented on OPS-1."])
    built: list[Origin] = []
    edge = OneSink(desks.sink)
    desks.runs.route(SURFACE, _Noting(edge, built))

    verdict = await desk.decide(comment_id, "approve", team_id="T1", user_id="U1")
    await desks.runs.wait_idle()

    assert verdict.kind == "executed"
    assert await desks.approvals.resumed(run_id), "the durable write task resumed it"
    assert built == [Origin(SURFACE, "T1", "C1", ASKER.thread_ts, "U1", desk=True)]
    assert isinstance(desks.sink.terminal, Finished) and desks.sink.terminal.text == "Commented on OPS-1."
    assert await desk.resume_if_decided(run_id) is None, "and only once"
    assert [(w.operation, w.target) for w in jira.writes()] == [("addComment", "OPS-1")]
    task = await DBOS.get_workflow_status_async(f"approval-{comment_id}")
    assert task is not None and task.status == "SUCCESS"


async def test_an_expired_proposal_is_told_to_the_model_as_expired(desks: Desks, llm: LLMSimulator) -> None:
    desk = desks.desk()
    run_id, (approval_id,) = await desks.file(desk, ("jira_add_comment", COMMENT))
    desks.clock.now = START + timedelta(hours=1)
    await desk.decide(approval_id, "deny", team_id="T1", user_id="U1")
    llm.script(["It expired."])

    assert await desk.resume_if_decided(run_id) is not None
    await desks.runs.wait_idle()

    told = [m["content"] for m in llm.chat_requests()[-1]["messages"] if m["role"] == "tool"]
    assert any(EXPIRED in text for text in told)


@pytest.mark.parametrize(
    ("choice", "later", "refused", "outcome", "summary"),
    [
        ("deny", False, False, "denied", "denied by the person who asked; nothing was changed"),
        ("approve", True, False, "expired", "expired before it was approved; nothing was changed"),
        ("approve", False, False, "done", "Commented on OPS-1 ("),
        ("approve", False, True, "failed", "The bot has no access in Jira."),
    ],
    ids=["denied", "expired", "approved", "refused"],
)
async def test_a_proposed_write_is_traced_as_it_was_decided_in_its_run_and_the_resumed_one(
    desks: Desks,
    llm: LLMSimulator,
    jira: JiraSimulator,
    choice: str,
    later: bool,
    refused: bool,
    outcome: str,
    summary: str,
) -> None:
    desk = desks.desk()
    paused, approval_id = await desks.ask(desk, llm)
    desks.clock.now = START + (timedelta(hours=1) if later else timedelta())
    if refused:
        jira.fail_next(403)
    llm.script(["Noted."])

    await desk.decide(approval_id, choice, team_id="T1", user_id="U1")  # type: ignore[arg-type]
    await desk.resume_if_decided(paused)  # an approval's own task has resumed it already
    await desks.runs.wait_idle()

    traces = RunTraces(desks.store)
    for run_id in (paused, await _resumed_by(desks, paused)):
        trace = await traces.trace(run_id)
        assert trace is not None
        (write,) = [call for call in trace.tools if call.name == "jira_add_comment"]
        assert (write.outcome, write.ok) == (outcome, outcome == "done"), run_id
        assert write.summary.startswith(summary)
        line = next(
            line for line in render_trace(trace, PriceTable({}), "m").splitlines() if "add_comment" in line
        )
        assert f"  tool  {outcome:<8}  jira_add_comment" in line


async def _resumed_by(desks: Desks, paused: str) -> str:
    run = await desks.store.get_run(paused)
    assert run is not None and await desks.approvals.resumed(paused)
    (resumed,) = [r.id for r in await desks.store.runs(run.conversation_id) if r.trigger == "approval"]
    return resumed


async def test_nothing_resumes_while_the_runs_are_shutting_down(desks: Desks) -> None:
    desk = desks.desk()
    run_id, (approval_id,) = await desks.file(desk, ("jira_add_comment", COMMENT))
    await desk.decide(approval_id, "deny", team_id="T1", user_id="U1")
    await desks.runs.shutdown()

    assert await desk.resume_if_decided(run_id) is None
    assert not await desks.approvals.resumed(run_id), "a later process can still resume it"


class _Noting:
    """An edge that notes the origin of each run it renders, then renders it with ``edge``."""

    def __init__(self, edge: OneSink, origins: list[Origin]) -> None:
        self._edge = edge
        self._origins = origins

    def sinks(self, origin: Origin) -> SinkFactory:
        self._origins.append(origin)
        return self._edge.sinks(origin)

    async def retire(self, origin: Origin, run_id: str) -> None:
        await self._edge.retire(origin, run_id)


def test_field_errors_name_each_top_level_field_once() -> None:
    class Form(BaseModel):
        key: str
        count: int

    with pytest.raises(ValidationError) as invalid:
        Form.model_validate({"count": "many"})

    errors = field_errors(invalid.value)
    assert set(errors) == {"key", "count"}
    assert errors["key"] == "Field required"
