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
from bot.runs.durable import Runs, run_queue
from bot.runs.engine import Engine
from bot.store.schedules import ScheduleRecord
from bot.store.store import Store
from bot.workflows.digest import DigestScope
from bot.workflows.services import Workflows, build_workflows, team_scope
from integrations.github.client import GitHubClient
from integrations.jira.client import JiraClient
from simulators.llm import LLMSimulator


@pytest.fixture
async def runs(store: Store, database_url: str) -> AsyncIterator[Runs]:
    """Runs on a real engine, launched only by the test that needs DBOS (the scheduler's)."""
    engine = Engine.beside(
        database_url, app_name="chatops-test", executor_id="test@here", queues=[run_queue(2)]
    )
    made = Runs(store, engine)
    yield made
    await made.shutdown()


@pytest.fixture
async def build(
    store: Store, runs: Runs, llm: LLMSimulator, jira: JiraClient, github: GitHubClient
) -> AsyncIterator[Any]:
    built: list[Workflows] = []

    def make(**settings: Any) -> Workflows:
        loaded = Settings.load("console", llm_base_url=llm.base_url, llm_api_key="sk", **settings)
        workflows = build_workflows(loaded, store=store, runs=runs, desk=None, jira=jira, github=github)
        built.append(workflows)
        return workflows

    yield make
    for workflows in built:
        await workflows.aclose()


async def _fire(_schedule: ScheduleRecord, _due: datetime) -> str:
    return ""


def _scheduler_tasks() -> list[asyncio.Task[Any]]:
    return [task for task in asyncio.all_tasks() if task.get_name() == "digest-schedules" and not task.done()]


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


async def test_one_scheduler_per_process_started_by_the_edge_and_stopped_on_close(
    build: Any, runs: Runs
) -> None:
    workflows = build()

    first = workflows.post_digests_with(_fire)
    again = workflows.post_digests_with(_fire)
    assert first is again and _scheduler_tasks() == [], "the edge starts it once the runs have"
    await runs.start()
    await first.start()
    assert len(_scheduler_tasks()) == 1

    await workflows.aclose()
    assert _scheduler_tasks() == []
