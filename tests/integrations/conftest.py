"""Fixtures for the integration clients: simulators on loopback, clients wired to them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from integrations.github import GitHubClient
from integrations.jira import JiraClient
from simulators.github import GitHubSimulator
from simulators.jira import JiraSimulator

FIXTURES = Path(__file__).parent / "fixtures"
JIRA_EMAIL = "chatops-bot@acme.example"
JIRA_TOKEN = "ATATT3xFfGF0-CANARY-jira-api-token"
JIRA_PAT = "NDQ2-CANARY-jira-personal-access-token"
GITHUB_TOKEN = "ghp_CANARYgithubtoken0000000000000000000"


def fixture_json(name: str) -> Any:
    """A spec example copied from shared/specs/examples (see tests/integrations/fixtures)."""
    return json.loads((FIXTURES / name).read_text("utf-8"))


class SleepRecorder:
    """Stands in for asyncio.sleep: remembers each requested wait and returns at once."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
async def jira_sim() -> AsyncIterator[JiraSimulator]:
    async with JiraSimulator(email=JIRA_EMAIL, api_token=JIRA_TOKEN) as sim:
        yield sim


@pytest.fixture
async def jira(jira_sim: JiraSimulator, sleeps: SleepRecorder) -> AsyncIterator[JiraClient]:
    async with JiraClient.create(
        jira_sim.url, email=JIRA_EMAIL, api_token=JIRA_TOKEN, sleep=sleeps
    ) as client:
        yield client


@pytest.fixture
async def github_sim() -> AsyncIterator[GitHubSimulator]:
    async with GitHubSimulator(token=GITHUB_TOKEN) as sim:
        yield sim


@pytest.fixture
async def github(github_sim: GitHubSimulator, sleeps: SleepRecorder) -> AsyncIterator[GitHubClient]:
    async with GitHubClient.create(github_sim.url, token=GITHUB_TOKEN, sleep=sleeps) as client:
        yield client
