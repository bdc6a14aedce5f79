"""Write tools inside the agent: a call is only a proposal (the run ends with it pending, nothing is
sent), invalid arguments go back to the model, and a resumed run hands the model the outcome."""

from __future__ import annotations

import json

from bot.agent.write_tools import write_specs
from bot.events import Failed, Finished, ToolFinished, WritesProposed, is_terminal
from bot.ports import AgentRequest, ResumeRequest, WriteDecision
from integrations.github.client import GitHubClient
from integrations.jira.client import JiraClient
from simulators.github import GitHubSimulator
from simulators.jira import JiraSimulator
from simulators.llm import LLMSimulator, ToolCall
from tests.bot.agent.conftest import AgentFactory

TRANSITION = ToolCall("jira_transition", {"key": "OPS-1", "transition": "Done"})


async def test_a_write_call_ends_the_run_as_a_proposal_and_sends_nothing(
    llm: LLMSimulator,
    make_agent: AgentFactory,
    jira: JiraClient,
    github: GitHubClient,
    jira_sim: JiraSimulator,
) -> None:
    agent = make_agent(writes=write_specs(jira, github))
    llm.script([[ToolCall("jira_transition", {"key": "OPS-1", "to": "Done"})], [TRANSITION]])

    events = [e async for e in agent.answer(AgentRequest("close OPS-1", "U1"))]

    proposed = events[-1]
    assert isinstance(proposed, WritesProposed) and not any(is_terminal(e) for e in events)
    assert [(p.tool, p.arguments) for p in proposed.proposals] == [("jira_transition", TRANSITION.arguments)]
    retry = [m for m in llm.chat_requests()[1]["messages"] if m["role"] == "tool"][0]["content"]
    assert "Invalid arguments for jira_transition" in retry and "transition: Field required" in retry
    assert [f.summary for f in events if isinstance(f, ToolFinished)][-1] == "waiting for approval"
    assert jira_sim.writes() == []
    assert json.loads(proposed.history)[-1]["parts"][0]["tool_name"] == "jira_transition"


async def test_resuming_tells_the_model_what_happened_and_still_sends_nothing(
    llm: LLMSimulator,
    make_agent: AgentFactory,
    jira: JiraClient,
    github: GitHubClient,
    jira_sim: JiraSimulator,
) -> None:
    agent = make_agent(writes=write_specs(jira, github))
    llm.script([[TRANSITION], "OPS-1 is Done now.", [TRANSITION], "Left it as it was."])
    first = [e async for e in agent.answer(AgentRequest("close OPS-1", "U1"))][-1]
    assert isinstance(first, WritesProposed)
    call_id = first.proposals[0].call_id

    done = ResumeRequest(
        first.history, (WriteDecision(call_id, True, "OPS-1 → Done (https://j/OPS-1)"),), "U1"
    )
    events = [e async for e in agent.resume(done)]
    assert isinstance(events[-1], Finished) and events[-1].text == "OPS-1 is Done now."
    told = [m for m in llm.chat_requests()[-1]["messages"] if m["role"] == "tool"][-1]["content"]
    assert "OPS-1 → Done (https://j/OPS-1)" in told

    second = [e async for e in agent.answer(AgentRequest("close OPS-1", "U1"))][-1]
    assert isinstance(second, WritesProposed)
    denied = WriteDecision(second.proposals[0].call_id, False, "The person who asked denied this proposal.")
    events = [e async for e in agent.resume(ResumeRequest(second.history, (denied,), "U1"))]
    assert isinstance(events[-1], Finished)
    told = [m for m in llm.chat_requests()[-1]["messages"] if m["role"] == "tool"][-1]["content"]
    assert "denied" in told
    assert jira_sim.writes() == [], "the agent never writes; the approval desk does"


async def test_a_history_that_cannot_be_restored_fails_plainly(make_agent: AgentFactory) -> None:
    agent = make_agent()
    events = [e async for e in agent.resume(ResumeRequest("not json", (), "U1"))]
    assert len(events) == 1 and isinstance(events[0], Failed)


async def test_a_write_outside_the_allowlists_is_never_proposed(
    llm: LLMSimulator, make_agent: AgentFactory, jira_sim: JiraSimulator, github_sim: GitHubSimulator
) -> None:
    async with (
        JiraClient.create(jira_sim.url, email="bot@example.com", api_token="t", projects=["OPS"]) as jira,
        GitHubClient.create(github_sim.url, token="t", repos=["acme/payments"]) as github,
    ):
        agent = make_agent(writes=write_specs(jira, github))
        outside = ToolCall("jira_add_comment", {"key": "SEC-1", "body": "patched"})
        other_repo = ToolCall("github_rerun_failed_jobs", {"repo": "acme/infra", "run_id": 7})
        inside = ToolCall("jira_add_comment", {"key": "OPS-1", "body": "patched"})
        llm.script([[outside, other_repo], [inside]])

        events = [
            e async for e in agent.answer(AgentRequest("note the patch on SEC-1 and rerun infra", "U1"))
        ]

    proposed = events[-1]
    assert isinstance(proposed, WritesProposed)
    assert [(p.tool, p.arguments["key"]) for p in proposed.proposals] == [("jira_add_comment", "OPS-1")]
    told = [m["content"] for m in llm.chat_requests()[1]["messages"] if m["role"] == "tool"]
    assert any("SEC is outside the projects this bot may change" in text for text in told)
    assert any("acme/infra is outside the repositories this bot may change" in text for text in told)
    assert jira_sim.requests == [] and github_sim.requests == []
