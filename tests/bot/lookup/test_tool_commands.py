"""Every agent tool has a direct command: the same client call, answered with a card, no LLM.

The table maps each tool in TOOL_REGISTRY to a command that reads what the tool reads; a new
tool without a command fails the first test, a command that stops reaching its upstream path
fails the second.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from bot.agent.tools import TOOL_REGISTRY
from bot.lookup.commands import Lookup
from integrations.github import GitHubClient
from integrations.jira import JiraClient
from simulators.github import GitHubSimulator
from simulators.jira import JiraSimulator


@dataclass(frozen=True)
class Reach:
    tool: str
    command: str  # "/jira ..." or "/gh ..."
    path: str  # the upstream path the tool's client call requests
    kind: str  # the card that comes back


REACH = (
    Reach("jira_get_issue", "/jira OPS-2", "/rest/api/3/issue/OPS-2", "jira_issue"),
    Reach("jira_search", "/jira project = OPS", "/rest/api/3/search/jql", "jira_list"),
    Reach("jira_count", "/jira count project = OPS", "/rest/api/3/search/approximate-count", "jira_count"),
    Reach(
        "jira_transitions",
        "/jira transitions OPS-2",
        "/rest/api/3/issue/OPS-2/transitions",
        "jira_transitions",
    ),
    Reach("jira_projects", "/jira projects", "/rest/api/3/project/search", "jira_projects"),
    Reach("github_get_pull_request", "/gh acme/payments#42", "/repos/acme/payments/pulls/42", "github_pull"),
    Reach("github_get_issue", "/gh acme/payments#40", "/repos/acme/payments/issues/40", "github_issue"),
    Reach("github_search", "/gh idempotency", "/search/issues", "github_list"),
    Reach("github_list_pull_requests", "/gh acme/payments", "/repos/acme/payments/pulls", "github_list"),
    Reach(
        "github_compare",
        "/gh compare acme/payments main...fix/idempotency-retry",
        "/repos/acme/payments/compare/main...fix/idempotency-retry",
        "github_compare",
    ),
    Reach(
        "github_workflow_runs", "/gh runs acme/payments", "/repos/acme/payments/actions/runs", "github_runs"
    ),
    # The same tool with run_id lists one run's jobs.
    Reach(
        "github_workflow_runs",
        "/gh jobs acme/payments 6100421",
        "/repos/acme/payments/actions/runs/6100421/jobs",
        "github_jobs",
    ),
    Reach(
        "github_job_log",
        "/gh log acme/payments 9100423",
        "/repos/acme/payments/actions/jobs/9100423/logs",
        "github_log",
    ),
)


def test_every_tool_in_the_registry_has_a_direct_command() -> None:
    assert {reach.tool for reach in REACH} == {tool.name for tool in TOOL_REGISTRY}


@pytest.fixture
async def sims() -> AsyncIterator[tuple[JiraSimulator, GitHubSimulator]]:
    async with JiraSimulator() as jira, GitHubSimulator() as github:
        yield jira, github


@pytest.mark.parametrize("reach", REACH, ids=lambda reach: reach.command)
async def test_the_command_reads_what_the_tool_reads_and_answers_a_card(
    reach: Reach, sims: tuple[JiraSimulator, GitHubSimulator]
) -> None:
    jira_sim, github_sim = sims
    async with (
        JiraClient.create(jira_sim.url, email="bot@acme.test", api_token="t") as jira,
        GitHubClient.create(github_sim.url, token="ghp_t") as github,
    ):
        # No translator: a command that needed the LLM would answer a notice, not a card.
        lookup = Lookup(jira, github)
        name, _, text = reach.command.partition(" ")
        card = await (lookup.jira(text) if name == "/jira" else lookup.github(text))
    assert card.kind == reach.kind, card.title
    simulator = jira_sim if name == "/jira" else github_sim
    assert simulator.requests_to(reach.path), f"{reach.command} did not request {reach.path}"
