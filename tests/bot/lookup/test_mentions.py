"""Jira keys, GitHub references and commits in a message, read before the agent runs: capped,
allowlisted, all at once, never failing the run."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from bot.lookup.mentions import Mentions, mentioned_commits, mentioned_keys, mentioned_references
from integrations.github import GitHubClient
from integrations.jira import JiraClient
from simulators.base import Span
from simulators.github import GitHubSimulator
from simulators.jira import JiraSimulator

EMAIL = "bot@acme.example"
TOKEN = "ATATT-CANARY-mentions"


@pytest.fixture
async def jira_sim() -> AsyncIterator[JiraSimulator]:
    async with JiraSimulator(email=EMAIL, api_token=TOKEN) as sim:
        yield sim


@pytest.fixture
async def jira(jira_sim: JiraSimulator) -> AsyncIterator[JiraClient]:
    async def no_sleep(seconds: float) -> None:
        return None

    async with JiraClient.create(jira_sim.url, email=EMAIL, api_token=TOKEN, sleep=no_sleep) as client:
        yield client


def _issue_reads(sim: JiraSimulator) -> list[str]:
    return [r.path.rsplit("/", 1)[-1] for r in sim.requests if "/issue/" in r.path]


def test_keys_are_found_in_order_once_each_and_capped() -> None:
    text = "OPS-2 vs OPS-1, again OPS-2, then OPS-3 and OPS-4 (see https://x.atlassian.net/browse/OPS-5)"

    assert mentioned_keys(text) == ["OPS-2", "OPS-1", "OPS-3"]
    assert mentioned_keys(text, limit=5) == ["OPS-2", "OPS-1", "OPS-3", "OPS-4", "OPS-5"]


def test_things_that_only_look_like_keys_are_not_keys() -> None:
    text = "utf-8, UTF-8, SHA-256, ops-2, OPS-0, X-1, OPS-12abc, my-OPS-3, OPS-4-b"

    assert mentioned_keys(text) == []


def test_keys_outside_the_allowlist_are_dropped_before_they_take_a_slot() -> None:
    text = "SEC-1 SEC-2 SEC-3 and finally OPS-2"

    assert mentioned_keys(text, projects=["OPS"]) == ["OPS-2"]


async def test_mentioned_issues_are_read_and_kept_as_json_in_mention_order(
    jira: JiraClient, jira_sim: JiraSimulator
) -> None:
    items = await Mentions(jira).gather("is OPS-2 still waiting on OPS-1?")

    assert [(item.source, item.name) for item in items] == [("jira", "OPS-2"), ("jira", "OPS-1")]
    first = json.loads(items[0].body)
    assert first["status"] == "Blocked" and first["links"][0]["key"] == "OPS-1"
    assert sorted(_issue_reads(jira_sim)) == ["OPS-1", "OPS-2"]


async def test_an_issue_that_cannot_be_read_is_left_out(jira: JiraClient) -> None:
    items = await Mentions(jira).gather("what about OPS-999 and OPS-3?")

    assert [item.name for item in items] == ["OPS-3"]


async def test_a_disallowed_project_costs_no_request(jira: JiraClient, jira_sim: JiraSimulator) -> None:
    items = await Mentions(jira, projects=["OPS"]).gather("compare SEC-1 with OPS-3")

    assert [item.name for item in items] == ["OPS-3"]
    assert _issue_reads(jira_sim) == ["OPS-3"]


async def test_a_slow_jira_is_cut_off_at_the_budget_and_the_run_goes_on(
    jira: JiraClient, jira_sim: JiraSimulator
) -> None:
    jira_sim.stall_next(30)

    items = await Mentions(jira, budget=0.2).gather("OPS-2?")

    assert items == ()


async def test_no_keys_means_no_requests(jira: JiraClient, jira_sim: JiraSimulator) -> None:
    assert await Mentions(jira).gather("why is the build red?") == ()
    assert jira_sim.requests == []


# -- GitHub references, read together with the Jira keys -----------------------------------------


@pytest.fixture
async def github_sim() -> AsyncIterator[GitHubSimulator]:
    async with GitHubSimulator() as sim:
        yield sim


@pytest.fixture
async def github(github_sim: GitHubSimulator) -> AsyncIterator[GitHubClient]:
    async with GitHubClient.create(github_sim.url, token="ghp_mentions") as client:
        yield client


def test_github_references_are_found_in_order_once_each_and_capped() -> None:
    text = (
        "is acme/payments#42 green, and https://github.com/acme/payments/pull/44/files? "
        "again acme/payments#42, acme/web#7, acme/ops#1"
    )

    assert mentioned_references(text) == [("acme/payments", 42), ("acme/payments", 44), ("acme/web", 7)]
    assert mentioned_references(text, limit=9)[-1] == ("acme/ops", 1)


def test_things_that_only_look_like_references_are_not() -> None:
    text = "#42 alone, payments#42, acme/payments#0, acme/payments#x, see path/a/b#3, a.b/c#4"

    assert mentioned_references(text) == []


async def test_jira_and_github_are_read_at_the_same_time_not_one_after_the_other(
    jira: JiraClient, jira_sim: JiraSimulator, github: GitHubClient, github_sim: GitHubSimulator
) -> None:
    # Each upstream takes a second to answer: one after the other, their requests could not overlap.
    jira_sim.stall_next(1.0)
    github_sim.stall_next(1.0)

    items = await Mentions(jira, github).gather("why is OPS-2 blocked, and is acme/payments#42 green?")

    assert [(item.source, item.name) for item in items] == [("jira", "OPS-2"), ("github", "acme/payments#42")]
    assert json.loads(items[1].body)["number"] == 42
    first_jira, first_github = jira_sim.spans[0], github_sim.spans[0]
    assert first_jira.overlaps(first_github), "the first GitHub request started while Jira's was in flight"


async def test_a_number_that_is_an_issue_not_a_pull_request_is_read_as_an_issue(
    github: GitHubClient, github_sim: GitHubSimulator
) -> None:
    (item,) = await Mentions(None, github).gather("what is acme/payments#40 about?")

    assert item.name == "acme/payments#40"
    assert json.loads(item.body)["title"] == "Duplicate charges on retry"
    assert [r.path for r in github_sim.requests] == [
        "/repos/acme/payments/pulls/40",
        "/repos/acme/payments/issues/40",
    ]


# -- commits: owner/repo@sha and commit URLs, read in the same gather -----------------------------

FIRST_42 = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"  # the first commit of acme/payments#42
HEAD_44 = "b7e6d5c4a3928170f6e5d4c3b2a1908f7e6d5c4b"


def test_commits_are_found_in_repo_at_sha_and_commit_urls_once_each_and_capped() -> None:
    text = (
        f"did acme/payments@A1B2C3D break it, or https://github.com/acme/payments/commit/{HEAD_44}? "
        f"acme/payments@{FIRST_42} again, acme/web@1234567, acme/ops@89abcde"
    )

    assert mentioned_commits(text) == [
        ("acme/payments", "a1b2c3d"),
        ("acme/payments", HEAD_44),
        ("acme/web", "1234567"),
    ]
    assert mentioned_commits(text, limit=9)[-1] == ("acme/ops", "89abcde")


def test_things_that_only_look_like_commits_are_not() -> None:
    text = (
        f"{FIRST_42} alone, payments@a1b2c3d, acme/payments@a1b2c3, acme/payments@main, "
        f"acme/payments@{FIRST_42}0, acme/payments@a1b2c3dz, x/acme/payments@a1b2c3d, bot@acme.example"
    )

    assert mentioned_commits(text) == []


async def test_a_jira_key_a_pull_request_and_a_commit_are_read_at_the_same_time(
    jira: JiraClient, jira_sim: JiraSimulator, github: GitHubClient, github_sim: GitHubSimulator
) -> None:
    # The first request to each upstream takes a second: one read after another could not overlap.
    jira_sim.stall_next(1.0)
    github_sim.stall_next(1.0, times=2)

    items = await Mentions(jira, github).gather(
        "why is OPS-2 blocked, is acme/payments#42 green, and did acme/payments@a1b2c3d cause it?"
    )

    assert [(item.source, item.name) for item in items] == [
        ("jira", "OPS-2"),
        ("github", "acme/payments#42"),
        ("github", "acme/payments@a1b2c3d"),
    ]
    commit = json.loads(items[2].body)
    assert (commit["sha"], commit["message"], commit["author"]) == (
        FIRST_42,
        "Copy the idempotency key on retry",
        "dscully",
    )
    issue = _span(jira_sim, "/issue/OPS-2")
    pull = _span(github_sim, "/repos/acme/payments/pulls/42")
    read = _span(github_sim, "/repos/acme/payments/commits/a1b2c3d")
    assert issue.overlaps(pull) and issue.overlaps(read) and pull.overlaps(read), "all three in flight"


async def test_a_commit_url_is_read_and_an_unknown_sha_is_left_out(
    github: GitHubClient, github_sim: GitHubSimulator
) -> None:
    items = await Mentions(None, github).gather(
        f"is acme/payments@deadbeef the culprit, or https://github.com/acme/payments/commit/{HEAD_44}?"
    )

    assert [item.name for item in items] == [f"acme/payments@{HEAD_44}"]
    assert json.loads(items[0].body)["files"]["changed_files"] == 2
    assert sorted(r.path for r in github_sim.requests) == [
        f"/repos/acme/payments/commits/{HEAD_44}",
        "/repos/acme/payments/commits/deadbeef",
    ]


def _span(sim: JiraSimulator | GitHubSimulator, path_end: str) -> Span:
    (span,) = [span for span in sim.spans if span.path.endswith(path_end)]
    return span
