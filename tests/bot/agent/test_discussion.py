"""``slack_search`` inside the agent: the LLM simulator asks, the real ``SlackSearch`` searches the
SIMULATED Slack workspace with the run's grant, and the hits come back fenced with permalinks."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.agent import GrantedSearch, PydanticAgent
from bot.agent.discussion import NOT_KEPT, SEARCH_TOOL
from bot.agent.grants import NO_GRANT
from bot.agent.write_tools import write_specs
from bot.events import Finished, ToolFinished, ToolStarted, WorkflowEvent, WritesProposed
from bot.ports import AgentRequest, SearchGrant
from bot.slack.delivery.budget import SlackBudget
from bot.slack.delivery.client import build_web_client
from bot.slack.search import SlackSearch
from integrations.github.client import GitHubClient
from integrations.jira.client import JiraClient
from simulators.llm import LLMSimulator, ToolCall
from simulators.slack import SlackSimulator
from tests.bot.agent.conftest import AgentFactory

TOKEN = "xoxb-test-token"
RUN = "run-search-1"
CANARY = "CANARY-migration-lock-7f3a"
SEARCH = ToolCall(SEARCH_TOOL, {"query": "payments rollback"})


@pytest.fixture
async def slack() -> AsyncIterator[SlackSimulator]:
    async with SlackSimulator(token=TOKEN) as simulator:
        if "search:read.public" not in simulator.scopes:
            simulator.scopes.append("search:read.public")
        simulator.search.name_channel("C0INCIDENT", "incidents")
        simulator.post_user_message("C0INCIDENT", f"Rolled back payments: {CANARY}", user="U0ANA")
        yield simulator


@pytest.fixture
def search(slack: SlackSimulator) -> GrantedSearch:
    granted = GrantedSearch()
    granted.bind(SlackSearch(build_web_client(TOKEN, slack.api_url, budget=SlackBudget())))
    return granted


@pytest.fixture
def agent(make_agent: AgentFactory, search: GrantedSearch) -> PydanticAgent:
    return make_agent(discussion=search)


async def answer(agent: PydanticAgent, *, searchable: bool = True) -> list[WorkflowEvent]:
    request = AgentRequest("why was payments rolled back?", "U1", run_id=RUN, searchable=searchable)
    return [event async for event in agent.answer(request)]


def tool_names(llm: LLMSimulator, index: int) -> list[str]:
    return [tool["function"]["name"] for tool in llm.chat_requests()[index].get("tools", [])]


def told(llm: LLMSimulator) -> str:
    """What the model was told by the last tool result."""
    return str([m for m in llm.chat_requests()[-1]["messages"] if m["role"] == "tool"][-1]["content"])


async def test_offered_only_to_a_run_that_came_with_a_grant(llm: LLMSimulator, agent: PydanticAgent) -> None:
    llm.script(["No search here.", "Search offered."])

    await answer(agent, searchable=False)
    await answer(agent, searchable=True)

    assert SEARCH_TOOL not in tool_names(llm, 0)
    assert SEARCH_TOOL in tool_names(llm, 1)


async def test_hits_reach_the_model_fenced_with_permalinks_and_the_trace_gets_a_count(
    llm: LLMSimulator, agent: PydanticAgent, search: GrantedSearch, slack: SlackSimulator
) -> None:
    token = slack.search.mint_action_token()
    search.keep(RUN, SearchGrant(token, "C0INCIDENT"))
    llm.script([[SEARCH], "It was rolled back because of a lock."])

    events = await answer(agent)

    [started] = [e for e in events if isinstance(e, ToolStarted)]
    [finished] = [e for e in events if isinstance(e, ToolFinished)]
    assert started.summary == "Slack search: payments rollback"
    assert finished.ok and finished.summary == "1 message"
    result = told(llm)
    assert result.startswith('<untrusted-data source="slack" tool="slack_search">')
    assert CANARY in result and "/archives/C0INCIDENT/p" in result
    [call] = slack.calls("assistant.search.context")
    assert call.args["action_token"] == token and call.args["context_channel_id"] == "C0INCIDENT"
    assert isinstance(events[-1], Finished)


async def test_without_a_grant_in_this_process_the_tool_says_so_and_the_run_goes_on(
    llm: LLMSimulator, agent: PydanticAgent, slack: SlackSimulator
) -> None:
    llm.script([[SEARCH], "Answered without Slack."])

    events = await answer(agent)  # searchable, but recovered here: no grant in memory

    assert told(llm) == NO_GRANT
    assert [e.summary for e in events if isinstance(e, ToolFinished)] == ["unavailable"]
    assert isinstance(events[-1], Finished) and slack.calls("assistant.search.context") == []


async def test_a_workspace_without_search_is_one_sentence(
    llm: LLMSimulator, agent: PydanticAgent, search: GrantedSearch, slack: SlackSimulator
) -> None:
    slack.search.enabled = False
    search.keep(RUN, SearchGrant(slack.search.mint_action_token()))
    llm.script([[SEARCH], "Answered without Slack."])

    events = await answer(agent)

    assert "not enabled for this workspace" in told(llm)
    assert isinstance(events[-1], Finished)


async def test_a_paused_runs_history_keeps_no_search_results(
    llm: LLMSimulator,
    make_agent: AgentFactory,
    search: GrantedSearch,
    slack: SlackSimulator,
    jira: JiraClient,
    github: GitHubClient,
) -> None:
    agent = make_agent(discussion=search, writes=write_specs(jira, github))
    search.keep(RUN, SearchGrant(slack.search.mint_action_token()))
    comment = ToolCall("jira_add_comment", {"key": "OPS-1", "body": "Rolled back."})
    llm.script([[SEARCH], [comment]])

    events = await answer(agent)

    proposed = events[-1]
    assert isinstance(proposed, WritesProposed)
    assert CANARY in told(llm)  # the model did read it
    assert CANARY not in proposed.history and "/archives/" not in proposed.history
    assert NOT_KEPT in proposed.history
