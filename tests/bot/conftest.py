"""Fixtures for the bot's own tests: a store on each database backend, the simulators, and the
services the console runs on (everything but Slack) wired to them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.config import Settings
from bot.services import Services, build_services
from bot.store.store import Store
from simulators.github import GitHubSimulator
from simulators.jira import JiraSimulator
from simulators.llm import LLMSimulator


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    """A store at the newest schema on SQLite, then on PostgreSQL (test ids name the backend)."""
    opened = await Store.open(database_url)
    yield opened
    await opened.close()


@pytest.fixture
async def llm() -> AsyncIterator[LLMSimulator]:
    async with LLMSimulator(chunk_delay=0) as simulator:
        yield simulator


@pytest.fixture
async def jira() -> AsyncIterator[JiraSimulator]:
    async with JiraSimulator() as simulator:
        yield simulator


@pytest.fixture
async def services(llm: LLMSimulator, jira: JiraSimulator, database_url: str) -> AsyncIterator[Services]:
    """The console's services against the simulators, on each database backend."""
    async with GitHubSimulator() as github:
        settings = Settings.load(
            "console",
            database_url=database_url,
            jira_base_url=jira.url,
            jira_email="me@acme.test",
            jira_api_token="token",
            github_api_url=github.url,
            github_token="ghp_token",
            llm_base_url=llm.base_url,
            llm_api_key="sk-key",
        )
        built = await build_services(settings)
        yield built
        await built.aclose()
