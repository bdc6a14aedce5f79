"""`proposal_history`: a workflow's proposed writes as a paused agent run the agent can resume."""

from __future__ import annotations

import json

from bot.agent.proposal_history import proposal_history
from bot.agent.write_tools import write_specs
from bot.events import Finished
from bot.ports import ResumeRequest, WriteDecision
from integrations.github.client import GitHubClient
from integrations.jira.client import JiraClient
from simulators.llm import LLMSimulator
from tests.bot.agent.conftest import AgentFactory

TASK = "Triage the Jira issue OPS-6."
COMMENT = ("call_a1", "jira_add_comment", {"key": "OPS-6", "body": "Possible duplicates: OPS-5"})
ASSIGN = ("call_b2", "jira_assign", {"key": "OPS-6", "assignee": "fmulder"})


def test_the_history_is_the_task_asked_then_every_call_in_order() -> None:
    messages = json.loads(proposal_history(TASK, [COMMENT, ASSIGN]))

    assert [message["kind"] for message in messages] == ["request", "response"]
    assert messages[0]["parts"][0]["content"] == TASK
    calls = [(part["tool_call_id"], part["tool_name"], part["args"]) for part in messages[1]["parts"]]
    assert calls == [COMMENT, ASSIGN]


async def test_a_resumed_agent_is_told_each_outcome_and_closes_the_thread_with_them(
    make_agent: AgentFactory, jira: JiraClient, github: GitHubClient, llm: LLMSimulator
) -> None:
    agent = make_agent(writes=write_specs(jira, github))
    llm.script(["Commented on OPS-6; leaving the owner as it is."])
    decisions = (
        WriteDecision("call_a1", True, "Commented on OPS-6 (https://jira/OPS-6)"),
        WriteDecision("call_b2", False, "The person who asked denied this proposal."),
    )

    events = [
        e
        async for e in agent.resume(ResumeRequest(proposal_history(TASK, [COMMENT, ASSIGN]), decisions, "U1"))
    ]

    assert isinstance(events[-1], Finished)
    assert events[-1].text == "Commented on OPS-6; leaving the owner as it is."
    sent = llm.chat_requests()[-1]["messages"]
    assert next(m for m in sent if m["role"] == "user")["content"] == TASK
    told = {m["tool_call_id"]: m["content"] for m in sent if m["role"] == "tool"}
    assert "Commented on OPS-6 (https://jira/OPS-6)" in told["call_a1"]
    assert "denied" in told["call_b2"]
