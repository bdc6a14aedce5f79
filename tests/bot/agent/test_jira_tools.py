"""The agent's Jira tools end to end: the LLM simulator calls them, the real client answers them
from the Jira simulator, and the model reads the fenced JSON."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.agent import PydanticAgent
from bot.events import ToolFinished, ToolStarted
from integrations.jira.client import JiraClient
from simulators.jira import JiraSimulator
from simulators.llm import LLMSimulator, ToolCall
from tests.bot.agent.conftest import JIRA_TOKEN, AgentFactory, Ask


def tool_results(body: dict[str, Any]) -> list[Any]:
    """The JSON inside each untrusted-data fence the model was sent back."""
    contents = [m["content"] for m in body["messages"] if m["role"] == "tool"]
    return [json.loads(content.split("\n", 1)[1].rsplit("\n", 1)[0]) for content in contents]


@pytest.fixture
async def ops_only_agent(jira_sim: JiraSimulator, make_agent: AgentFactory) -> AsyncIterator[PydanticAgent]:
    async with JiraClient.create(
        jira_sim.url, email="bot@example.com", api_token=JIRA_TOKEN, projects=["OPS"]
    ) as scoped:
        yield make_agent(jira=scoped)


async def test_count_reports_the_scoped_jql_it_counted(
    llm: LLMSimulator, ask: Ask, ops_only_agent: PydanticAgent, jira_sim: JiraSimulator
) -> None:
    llm.script([[ToolCall("jira_count", {"jql": "status = Done"})], "12 done."])

    events = await ask("how many issues are done?", agent=ops_only_agent)

    assert tool_results(llm.requests[1].body) == [
        {"jql": 'project in ("OPS") AND (status = Done)', "count": 12}
    ]
    assert [e.summary for e in events if isinstance(e, ToolStarted)] == ["Jira count: status = Done"]
    assert [e.summary for e in events if isinstance(e, ToolFinished)] == ["12 issues"]
    assert jira_sim.requests[0].path == "/rest/api/3/search/approximate-count"


async def test_search_hands_the_model_a_page_token_it_can_pass_back(llm: LLMSimulator, ask: Ask) -> None:
    llm.script([[ToolCall("jira_search", {"jql": "project = OPS ORDER BY key", "limit": 25})], "first page"])
    await ask("list OPS")
    (first,) = tool_results(llm.requests[1].body)

    token = first["next_page_token"]
    llm.script(
        [
            [
                ToolCall(
                    "jira_search", {"jql": "project = OPS ORDER BY key", "limit": 25, "page_token": token}
                )
            ],
            "more",
        ]
    )
    await ask("and the rest?")
    (second,) = tool_results(llm.requests[3].body)

    assert [hit["key"] for hit in first["issues"]][-1] == "OPS-25" and not first["is_last"]
    assert [hit["key"] for hit in second["issues"]] == [f"OPS-{n}" for n in range(26, 37)]
    assert second["is_last"] and second["next_page_token"] is None


async def test_transitions_and_projects(llm: LLMSimulator, ask: Ask, ops_only_agent: PydanticAgent) -> None:
    llm.script([[ToolCall("jira_transitions", {"key": "ops-2"}), ToolCall("jira_projects", {})], "ok"])

    await ask("what can OPS-2 move to, and which projects do you see?", agent=ops_only_agent)

    transitions, projects = tool_results(llm.requests[1].body)
    assert transitions == {
        "key": "OPS-2",
        "transitions": [{"id": "51", "name": "Unblock", "to_status": "In Progress"}],
    }
    assert [project["key"] for project in projects["projects"]] == ["OPS"]


async def test_a_search_outside_the_allowlist_fails_the_tool_not_the_run(
    llm: LLMSimulator, ask: Ask, ops_only_agent: PydanticAgent, jira_sim: JiraSimulator
) -> None:
    llm.script([[ToolCall("jira_search", {"jql": "project = SEC"})], "I may not look there."])

    events = await ask("what is in SEC?", agent=ops_only_agent)

    content = next(m["content"] for m in llm.requests[1].body["messages"] if m["role"] == "tool")
    assert "jira_search failed (permission denied)" in content
    assert "project SEC is outside the Jira projects this bot may read (OPS)" in content
    assert [e.summary for e in events if isinstance(e, ToolFinished)] == ["permission denied"]
    assert jira_sim.requests == []
