"""Structured workflows against SIMULATED upstreams: the real Jira/GitHub clients and the drafter
on the Jira, GitHub and LLM simulators (loopback)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.agent.drafter import PydanticDrafter, build_drafter
from integrations.github.client import GitHubClient
from integrations.jira.client import JiraClient
from simulators.github import GitHubSimulator
from simulators.github import load_seed as github_seed
from simulators.jira import JiraSimulator
from simulators.jira import load_seed as jira_seed
from simulators.llm import LLMSimulator

LLM_KEY = "sk-workflow-llm-key"
# The seed's pull requests were opened on 2026-11-23 (#42) and 2026-11-24 10:05 (#44).
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

MakeDrafter = Callable[..., PydanticDrafter]


@pytest.fixture
def jira_data() -> dict[str, Any]:
    """The Jira seed; a test may edit it before the simulator starts."""
    return jira_seed()


@pytest.fixture
def github_data() -> dict[str, Any]:
    """The GitHub seed; a test may edit it before the simulator starts."""
    return github_seed()


@pytest.fixture
async def jira_sim(jira_data: dict[str, Any]) -> AsyncIterator[JiraSimulator]:
    async with JiraSimulator(seed=jira_data) as simulator:
        yield simulator


@pytest.fixture
async def github_sim(github_data: dict[str, Any]) -> AsyncIterator[GitHubSimulator]:
    async with GitHubSimulator(seed=github_data) as simulator:
        yield simulator


@pytest.fixture
async def jira(jira_sim: JiraSimulator) -> AsyncIterator[JiraClient]:
    async with JiraClient.create(jira_sim.url, email="bot@acme.test", api_token="jira-token") as client:
        yield client


@pytest.fixture
async def github(github_sim: GitHubSimulator) -> AsyncIterator[GitHubClient]:
    async with GitHubClient.create(github_sim.url, token="ghp_workflowtoken") as client:
        yield client


@pytest.fixture
async def make_drafter(llm: LLMSimulator) -> AsyncIterator[MakeDrafter]:
    made: list[PydanticDrafter] = []

    def make(**overrides: Any) -> PydanticDrafter:
        options: dict[str, Any] = {
            "provider": "openai",
            "base_url": llm.base_url,
            "api_key": LLM_KEY,
            "model": "simulated-model",
        }
        options.update(overrides)
        drafter = build_drafter(**options)
        made.append(drafter)
        return drafter

    yield make
    for drafter in made:
        await drafter.aclose()


@pytest.fixture
def drafter(make_drafter: MakeDrafter) -> PydanticDrafter:
    return make_drafter()
