"""`chatops mcp`'s upstreams in tests: the Jira simulator (tests/bot/conftest.py) and GitHub's."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from simulators.github import GitHubSimulator
from simulators.jira import JiraSimulator


@pytest.fixture
async def github() -> AsyncIterator[GitHubSimulator]:
    async with GitHubSimulator() as simulator:
        yield simulator


def upstreams(jira: JiraSimulator, github: GitHubSimulator) -> dict[str, str]:
    """The environment that points `chatops mcp` at the simulators."""
    return {
        "JIRA_BASE_URL": jira.url,
        "JIRA_EMAIL": "bot@acme.test",
        "JIRA_API_TOKEN": "jira-token",
        "GITHUB_API_URL": github.url,
        "GITHUB_TOKEN": "ghp_token",
    }


def settings_of(jira: JiraSimulator, github: GitHubSimulator) -> dict[str, str]:
    """The same, as keyword arguments of ``Settings.load``."""
    return {name.lower(): value for name, value in upstreams(jira, github).items()}
