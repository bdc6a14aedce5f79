"""The agent against SIMULATED upstreams: the LLM simulator, and the real Jira/GitHub clients
talking to the Jira and GitHub simulators on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from bot.agent import PydanticAgent, build_agent
from bot.events import WorkflowEvent
from bot.ports import AgentRequest, Turn
from integrations.github.client import GitHubClient
from integrations.jira.client import JiraClient
from simulators.github import GitHubSimulator
from simulators.jira import JiraSimulator, load_seed
from simulators.llm import LLMSimulator

LLM_KEY = "sk-canary-llm-key-0000"
JIRA_TOKEN = "ATATT-canary-jira-token"
GITHUB_TOKEN = "ghp_canarygithubtoken000"

AgentFactory = Callable[..., PydanticAgent]
Ask = Callable[..., Awaitable[list[WorkflowEvent]]]


def adf(text: str) -> dict[str, Any]:
    return {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}],
    }


@pytest.fixture
def jira_seed() -> dict[str, Any]:
    """The demo seed; a test may edit it before the Jira simulator starts."""
    return load_seed()


@pytest.fixture
async def jira_sim(jira_seed: dict[str, Any]) -> AsyncIterator[JiraSimulator]:
    async with JiraSimulator(seed=jira_seed) as simulator:
        yield simulator


@pytest.fixture
async def github_sim() -> AsyncIterator[GitHubSimulator]:
    async with GitHubSimulator() as simulator:
        yield simulator


@pytest.fixture
async def jira(jira_sim: JiraSimulator) -> AsyncIterator[JiraClient]:
    async with JiraClient.create(jira_sim.url, email="bot@example.com", api_token=JIRA_TOKEN) as client:
        yield client


@pytest.fixture
async def github(github_sim: GitHubSimulator) -> AsyncIterator[GitHubClient]:
    async with GitHubClient.create(github_sim.url, token=GITHUB_TOKEN) as client:
        yield client


@pytest.fixture
async def make_agent(
    llm: LLMSimulator, jira: JiraClient, github: GitHubClient
) -> AsyncIterator[AgentFactory]:
    """Build agents on the simulators; keyword arguments override `build_agent`'s."""
    agents: list[PydanticAgent] = []

    def make(**overrides: Any) -> PydanticAgent:
        options: dict[str, Any] = {
            "provider": "openai",
            "base_url": llm.base_url,
            "api_key": LLM_KEY,
            "model": "simulated-model",
            "jira": jira,
            "github": github,
            "llm_retries": 0,
        }
        options.update(overrides)
        agent = build_agent(**options)
        agents.append(agent)
        return agent

    yield make
    for agent in agents:
        await agent.aclose()


@pytest.fixture
def ask(make_agent: AgentFactory) -> Ask:
    """Run one question through an agent (a default one unless given) and collect every event."""

    async def run(
        question: str, *, history: tuple[Turn, ...] = (), agent: PydanticAgent | None = None
    ) -> list[WorkflowEvent]:
        chosen = agent or make_agent()
        request = AgentRequest(question=question, user_id="U123", history=history)
        return [event async for event in chosen.answer(request)]

    return run
