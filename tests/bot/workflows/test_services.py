"""`build_workflows`: the structured workflows wired from Settings (scopes, teams, default project),
and the one digest scheduler a process runs, stopped on close."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest

from bot.config import Settings
from bot.errors import InputRejected
from bot.runs.dispatcher import Dispatcher
from bot.store.schedules import ScheduleRecord
from bot.store.store import Store
from bot.workflows.digest import DigestScope
from bot.workflows.services import Workflows, build_workflows, team_scope
from integrations.github.client import GitHubClient
from integrations.jira.client import JiraClient
from simulators.llm import LLMSimulator


@pytest.fixture
async def build(
    store: Store, llm: LLMSimulator, jira: JiraClient, github: GitHubClient
) -> AsyncIterator[Any]:
    built: list[Workflows] = []
    dispatcher = Dispatcher(store)

    def make(**settings: Any) -> Workflows:
        loaded = Settings.load("console", llm_base_url=llm.base_url, llm_api_key="sk", **settings)
        workflows = build_workflows(
            loaded, store=store, dispatcher=dispatcher, desk=None, jira=jira, github=github
        )
        built.append(workflows)
        return workflows

    yield make
    for workflows in built:
        await workflows.aclose()
    await dispatcher.shutdown()


async def _fire(_schedule: ScheduleRecord, _due: datetime) -> str:
    return ""


def _scheduler_tasks() -> list[asyncio.Task[Any]]:
    return [task for task in asyncio.all_tasks() if task.get_name() == "digest-scheduler" and not task.done()]


async def test_an_empty_standup_covers_the_configured_projects_and_plain_repositories(build: Any) -> None:
    workflows = build(jira_projects=["OPS", "WEB"], github_repos=["acme/payments", "acme/*"])

    assert workflows.standup.scope("") == DigestScope(("OPS", "WEB"), ("acme/payments",))
    assert workflows.default_project == "OPS"


async def test_standup_teams_name_their_projects_and_repositories(build: Any) -> None:
    workflows = build(standup_teams={"payments": ["OPS", "acme/payments"]})

    assert workflows.standup.scope("Payments") == DigestScope(("OPS",), ("acme/payments",))
    assert workflows.default_project is None
    with pytest.raises(InputRejected, match="Say which project"):
        workflows.standup.scope("")


def test_a_team_entry_splits_into_projects_and_repositories() -> None:
    assert team_scope(["OPS", "acme/payments", "WEB", "acme/web"]) == DigestScope(
        ("OPS", "WEB"), ("acme/payments", "acme/web")
    )
    assert team_scope([]) == DigestScope()


async def test_one_scheduler_per_process_and_closing_stops_it(build: Any) -> None:
    workflows = build()

    first = workflows.start_scheduler(_fire)
    again = workflows.start_scheduler(_fire)
    assert first is again and len(_scheduler_tasks()) == 1

    await workflows.aclose()
    assert _scheduler_tasks() == []
