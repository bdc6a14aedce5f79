"""The ask workflow on a real store and an agent on the simulators: the thread so far reaches the
model, tool calls and the answer are recorded, and proposed writes pause the run with the desk."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.agent import PydanticAgent, build_agent
from bot.agent.write_tools import write_specs
from bot.approvals.desk import ApprovalDesk
from bot.events import ApprovalRequested, Failed, Finished, ToolFinished, Usage, WorkflowEvent
from bot.lookup.mentions import Mentions
from bot.ports import ResumeRequest, WriteDecision
from bot.runs.durable import Runs
from bot.runs.traces import RunTraces
from bot.store.approvals import Approvals
from bot.store.store import Store
from bot.workflows.ask import AWAITING_APPROVAL, NO_WRITES, Question, answer, continue_run
from integrations.github.client import GitHubClient
from integrations.jira.client import JiraClient
from simulators.llm import LLMSimulator, ToolCall

TEAM, CHANNEL, THREAD, USER = "T1", "C1", "1700000000.000100", "U1"
COMMENT = ToolCall("jira_add_comment", {"key": "OPS-1", "body": "Deployed."})


@pytest.fixture
async def agent(llm: LLMSimulator, jira: JiraClient, github: GitHubClient) -> AsyncIterator[PydanticAgent]:
    built = build_agent(
        provider="openai",
        base_url=llm.base_url,
        api_key="sk-ask",
        model="simulated-model",
        jira=jira,
        github=github,
        writes=write_specs(jira, github),
        llm_retries=0,
    )
    yield built
    await built.aclose()


async def _question(store: Store, text: str) -> Question:
    stored = await store.open_question(TEAM, CHANNEL, THREAD, text=text, trigger="mention", user_id=USER)
    return Question(stored.run_id, stored.conversation_id, stored.message_id, USER, text)


async def _events(stream: AsyncIterator[WorkflowEvent]) -> list[WorkflowEvent]:
    return [event async for event in stream]


async def test_the_answer_sees_the_thread_before_the_question_only_and_is_recorded(
    store: Store, agent: PydanticAgent, llm: LLMSimulator
) -> None:
    earlier = await _question(store, "we deploy payments on Tuesdays")
    await store.finish_run(earlier.run_id, status="succeeded", usage=Usage(), answer="Noted.")
    question = await _question(store, "why is OPS-2 blocked?")
    await store.add_message(question.conversation_id, "user", "a follow-up that arrived later")

    events = await _events(answer(question, store=store, agent=agent))

    sent = [m.get("content") for m in llm.chat_requests()[0]["messages"]]
    assert "we deploy payments on Tuesdays" in sent and "Noted." in sent
    assert "a follow-up that arrived later" not in str(sent)
    finished = events[-1]
    assert isinstance(finished, Finished)
    run = await store.get_run(question.run_id)
    assert run is not None and run.status == "succeeded"
    assert (await store.history(question.conversation_id))[-1].text == finished.text
    calls = await store.tool_calls(question.run_id)
    finished_tools = [e for e in events if isinstance(e, ToolFinished)]
    assert [(c.call_id, c.name, c.arguments) for c in calls][0] == (
        finished_tools[0].call_id,
        "jira_get_issue",
        {"key": "OPS-2"},
    )
    assert len(await RunTraces(store).llm_calls(question.run_id)) == len(llm.chat_requests())


async def test_what_the_question_mentions_is_looked_up_before_the_agent_runs(
    store: Store, agent: PydanticAgent, llm: LLMSimulator, jira: JiraClient
) -> None:
    llm.script(["It is blocked."])
    question = await _question(store, "what about OPS-2?")

    await _events(answer(question, store=store, agent=agent, context=Mentions(jira)))

    prompt = next(m for m in llm.chat_requests()[0]["messages"] if m["role"] == "user")["content"]
    assert prompt.startswith("what about OPS-2?")
    fenced = prompt[prompt.index('<untrusted-data source="jira" tool="context">') :]
    assert '"key":"OPS-2"' in fenced


async def test_a_failing_model_fails_the_run_with_the_message_shown(
    store: Store, agent: PydanticAgent, llm: LLMSimulator
) -> None:
    llm.fail_next(401)
    question = await _question(store, "why is OPS-2 blocked?")

    events = await _events(answer(question, store=store, agent=agent))

    failed = events[-1]
    assert isinstance(failed, Failed)
    run = await store.get_run(question.run_id)
    assert run is not None and (run.status, run.error) == ("failed", failed.message)


async def test_a_proposed_write_without_a_desk_fails_plainly(
    store: Store, agent: PydanticAgent, llm: LLMSimulator
) -> None:
    llm.script([[COMMENT]])
    question = await _question(store, "comment on OPS-1")

    events = await _events(answer(question, store=store, agent=agent))

    failed = events[-1]
    assert isinstance(failed, Failed) and (failed.message, failed.retryable) == (NO_WRITES, False)
    run = await store.get_run(question.run_id)
    assert run is not None and (run.status, run.error) == ("failed", NO_WRITES)
    assert failed.usage == run.usage and run.usage.requests == 1, "the request that proposed is counted"


async def test_a_proposed_write_pauses_the_run_with_the_desk_and_resuming_records_the_new_run(
    store: Store, agent: PydanticAgent, llm: LLMSimulator, jira: JiraClient, github: GitHubClient
) -> None:
    # Driven directly here, outside any durable run: the desk's runs are never started.
    runs = Runs(store)
    approvals = Approvals(store, ttl=timedelta(minutes=15))
    desk = ApprovalDesk(approvals, write_specs(jira, github), store=store, agent=agent, runs=runs)
    llm.script([[COMMENT], "Left OPS-1 alone."])
    question = await _question(store, "comment on OPS-1")

    events = await _events(answer(question, store=store, agent=agent, desk=desk))

    requested, finished = events[-2:]
    assert isinstance(requested, ApprovalRequested) and requested.tool == "jira_add_comment"
    assert isinstance(finished, Finished) and finished.text == AWAITING_APPROVAL
    run = await store.get_run(question.run_id)
    assert run is not None and run.status == "succeeded"
    (record,) = await approvals.for_run(question.run_id)
    assert (record.team_id, record.user_id, record.channel, record.thread_ts) == (TEAM, USER, CHANNEL, THREAD)

    assert await approvals.deny(record.id, USER)
    resumed_run = await store.create_run(question.conversation_id, trigger="approval", user_id=USER)
    paused = await approvals.take_resumption(question.run_id, resumed_run)
    assert paused is not None
    decision = WriteDecision(record.call_id, False, "The person who asked denied this proposal.")
    request = ResumeRequest(paused.history, (decision,), USER, resumed_run)
    resumed = await _events(
        continue_run(resumed_run, question.conversation_id, request, store=store, agent=agent, desk=desk)
    )

    assert isinstance(resumed[-1], Finished) and resumed[-1].text == "Left OPS-1 alone."
    after = await store.get_run(resumed_run)
    assert after is not None and after.status == "succeeded" and after.started_at is not None
