"""The direct commands against the simulated Jira, GitHub and LLM: what each argument answers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.agent import build_jql_translator
from bot.lookup.cards import Card
from bot.lookup.commands import NO_TRANSLATION, Lookup
from bot.lookup.request import GH_USAGE, JIRA_USAGE, LOG_USAGE, TRANSITIONS_USAGE
from integrations.github import GitHubClient
from integrations.jira import JiraClient
from simulators.github import GitHubSimulator
from simulators.jira import JiraSimulator
from simulators.llm import LLMSimulator


@pytest.fixture
async def jira_sim() -> AsyncIterator[JiraSimulator]:
    async with JiraSimulator() as simulator:
        yield simulator


@pytest.fixture
async def github_sim() -> AsyncIterator[GitHubSimulator]:
    async with GitHubSimulator() as simulator:
        yield simulator


@pytest.fixture
async def lookup(jira_sim: JiraSimulator, github_sim: GitHubSimulator) -> AsyncIterator[Lookup]:
    async with (
        JiraClient.create(jira_sim.url, email="bot@acme.test", api_token="t") as jira,
        GitHubClient.create(github_sim.url, token="ghp_t") as github,
    ):
        yield Lookup(jira, github, page_size=2)


def _fields(card: Card) -> dict[str, str]:
    return {field.label: field.value for field in card.fields}


async def test_a_key_answers_the_issue_card_from_one_jira_read(
    lookup: Lookup, jira_sim: JiraSimulator
) -> None:
    card = await lookup.jira("ops-2")
    assert card.kind == "jira_issue" and card.title == "OPS-2: Roll out payments v2 to all regions"
    assert _fields(card)["Status"] == "Blocked" and _fields(card)["Assignee"] == "Fox Mulder"
    assert any(row.key == "OPS-1" and row.prefix == "is blocked by" for row in card.rows)
    assert card.url == f"{jira_sim.url}/browse/OPS-2"
    assert len(jira_sim.requests_to("/rest/api/3/issue/OPS-2")) == 1


async def test_jql_answers_a_list_that_pages_with_the_token(lookup: Lookup, jira_sim: JiraSimulator) -> None:
    expected = sorted((i["key"] for i in jira_sim.issues if i["key"].startswith("OPS-")), key=_number)
    card = await lookup.jira("project = OPS ORDER BY key ASC")
    assert card.kind == "jira_list" and card.query.startswith("project = OPS")
    pages = [[row.key for row in card.rows]]
    while card.next_page is not None:
        card = await lookup.jira_page(card.next_page)
        pages.append([row.key for row in card.rows])
    assert pages[0] == expected[:2] and all(len(page) == 2 for page in pages[:-1])
    assert [key for page in pages for key in page] == expected, "every issue once, in order, then no More"


def _number(key: str) -> int:
    return int(key.rpartition("-")[2])


async def test_a_missing_issue_or_bad_jql_is_one_sentence(lookup: Lookup) -> None:
    missing = await lookup.jira("OPS-999")
    assert missing.kind == "notice" and missing.title == "OPS-999 was not found in Jira."
    bad = await lookup.jira("project = = OPS")
    assert bad.kind == "notice" and "Jira" in bad.title


async def test_words_become_scoped_jql_that_the_card_shows(
    jira_sim: JiraSimulator, github_sim: GitHubSimulator
) -> None:
    async with (
        LLMSimulator(chunk_delay=0) as llm,
        JiraClient.create(jira_sim.url, email="bot@acme.test", api_token="t", projects=["OPS"]) as jira,
    ):
        translator = build_jql_translator(
            provider="openai",
            base_url=llm.base_url,
            api_key="sk-test",
            model="simulated-model",
            llm_retries=0,
        )
        try:
            card = await Lookup(jira, None, translator=translator).jira("open bugs in OPS assigned to Dana")
        finally:
            await translator.aclose()
    assert card.kind == "jira_list"
    assert "issuetype = Bug" in card.query and "OPS" in card.query
    assert [row.key for row in card.rows] == ["OPS-1"]


async def test_words_without_a_translator_say_how_to_ask(lookup: Lookup) -> None:
    card = await lookup.jira("open bugs in payments")
    assert card.kind == "notice" and card.title == NO_TRANSLATION


async def test_usage_and_unconfigured_services_are_notices() -> None:
    nothing = Lookup(None, None)
    assert (await nothing.jira("")).title == JIRA_USAGE
    assert (await nothing.github("")).title == GH_USAGE
    assert (await nothing.jira("OPS-2")).title == "Jira is not configured for this bot."
    assert (await nothing.github("acme/payments#42")).title == "GitHub is not configured for this bot."


async def test_a_pull_request_card_says_review_and_which_checks_fail(
    lookup: Lookup, github_sim: GitHubSimulator
) -> None:
    card = await lookup.github("acme/payments#42")
    assert card.kind == "github_pull" and card.title.startswith("acme/payments#42: Keep idempotency key")
    fields = _fields(card)
    assert fields["CI"] == "failing: integration-tests"
    assert "fmulder" in fields["Review"]
    assert card.url == "https://github.com/acme/payments/pull/42"


async def test_an_issue_number_answers_an_issue_card(lookup: Lookup) -> None:
    card = await lookup.github("acme/payments#40")
    assert card.kind == "github_issue" and card.title == "acme/payments#40: Duplicate charges on retry"


async def test_a_missing_item_is_not_found_or_no_access(lookup: Lookup) -> None:
    card = await lookup.github("acme/payments#999")
    assert card.kind == "notice"
    assert card.title == "acme/payments#999 was not found on GitHub, or the bot has no access to it."


async def test_a_search_lists_matching_issues_and_pulls(lookup: Lookup) -> None:
    card = await lookup.github("idempotency")
    assert card.kind == "github_list" and card.query == "idempotency"
    assert [row.key for row in card.rows] == ["acme/payments#42"]


async def test_a_repo_lists_the_pull_requests_waiting_for_review(
    lookup: Lookup, github_sim: GitHubSimulator
) -> None:
    (repo,) = [r for r in github_sim.seed["repos"] if r["full_name"] == "acme/payments"]
    waiting = [
        f"#{item['number']}"
        for item in repo["items"]
        if item["kind"] == "pull"
        and item["state"] == "open"
        and not item.get("draft")
        and (item.get("requested_reviewers") or item.get("requested_teams"))
    ]
    card = await lookup.github("acme/payments")
    assert card.kind == "github_list" and "#42" in waiting and "#38" not in waiting
    assert sorted(row.key for row in card.rows) == sorted(waiting)
    (row42,) = [row for row in card.rows if row.key == "#42"]
    assert "waiting on fmulder" in row42.detail


# -- the sub-commands: one read each, errors as one sentence -------------------------------


async def test_count_counts_the_scoped_jql_and_shows_it(jira_sim: JiraSimulator) -> None:
    async with JiraClient.create(
        jira_sim.url, email="bot@acme.test", api_token="t", projects=["OPS"]
    ) as jira:
        card = await Lookup(jira, None).jira("count status = Blocked")
    (counted,) = jira_sim.requests_to("/rest/api/3/search/approximate-count")
    assert card.kind == "jira_count" and card.title.startswith("About ")
    assert card.query == counted.body["jql"] and "OPS" in card.query, "the JQL shown is the one counted"


async def test_on_data_center_the_count_is_exact() -> None:
    async with (
        JiraSimulator(edition="datacenter") as sim,
        JiraClient.create(sim.url, pat="dc-pat") as jira,
    ):
        card = await Lookup(jira, None).jira("count project = OPS")
    expected = len([i for i in sim.issues if i["key"].startswith("OPS-")])
    assert card.title == f"{expected} issues match"
    assert sim.requests_to("/rest/api/2/search")


async def test_count_in_words_is_translated_then_counted(jira_sim: JiraSimulator) -> None:
    async with (
        LLMSimulator(chunk_delay=0) as llm,
        JiraClient.create(jira_sim.url, email="bot@acme.test", api_token="t", projects=["OPS"]) as jira,
    ):
        translator = build_jql_translator(
            provider="openai",
            base_url=llm.base_url,
            api_key="sk-test",
            model="simulated-model",
            llm_retries=0,
        )
        try:
            card = await Lookup(jira, None, translator=translator).jira(
                "count open bugs in OPS assigned to Dana"
            )
        finally:
            await translator.aclose()
    assert card.kind == "jira_count" and "issuetype = Bug" in card.query
    assert card.title == "About 1 issue match"
    assert len(llm.chat_requests()) == 1


async def test_transitions_and_projects_answer_cards(lookup: Lookup, jira_sim: JiraSimulator) -> None:
    transitions = await lookup.jira("transitions ops-2")
    assert transitions.kind == "jira_transitions" and transitions.title.startswith("OPS-2: ")
    assert transitions.url == f"{jira_sim.url}/browse/OPS-2" and transitions.rows
    projects = await lookup.jira("projects")
    assert [row.key for row in projects.rows] == sorted(p["key"] for p in jira_sim.seed["projects"])


async def test_a_jira_sub_command_on_a_missing_issue_or_outside_the_allowlist_is_one_sentence(
    jira_sim: JiraSimulator,
) -> None:
    async with JiraClient.create(
        jira_sim.url, email="bot@acme.test", api_token="t", projects=["OPS"]
    ) as jira:
        lookup = Lookup(jira, None)
        missing = await lookup.jira("transitions OPS-999")
        outside = await lookup.jira("transitions SEC-1")
        projects = await lookup.jira("projects")
    assert missing.kind == "notice" and missing.title == "OPS-999 was not found in Jira."
    assert outside.kind == "notice" and "SEC-1" in outside.title
    assert not jira_sim.requests_to("/rest/api/3/issue/SEC-1/transitions"), "refused before any request"
    assert [row.key for row in projects.rows] == ["OPS"]


async def test_runs_jobs_and_log_walk_from_a_red_run_to_its_failing_line(lookup: Lookup) -> None:
    runs = await lookup.github("runs acme/payments fix/idempotency-retry")
    (run,) = runs.rows
    assert run.detail.startswith("failure · fix/idempotency-retry") and "run 6100421" in run.detail
    jobs = await lookup.github("jobs acme/payments 6100421")
    (job,) = jobs.rows
    assert job.key == "integration-tests" and job.text == "failed at Run integration tests"
    assert "job 9100423" in job.detail
    log = await lookup.github("log acme/payments 9100423")
    assert log.kind == "github_log"
    assert log.code.splitlines()[-1] == "##[error]Process completed with exit code 1."
    assert "AssertionError: expected 1 charge for order 1001, found 2" in log.code


async def test_compare_answers_ahead_and_the_commits(lookup: Lookup) -> None:
    card = await lookup.github("compare acme/payments main...fix/idempotency-retry")
    assert card.kind == "github_compare"
    assert {f.label: f.value for f in card.fields}["Status"] == "fix/idempotency-retry is ahead of main"
    assert card.rows


async def test_missing_runs_jobs_and_refs_are_not_found_or_no_access(lookup: Lookup) -> None:
    jobs = await lookup.github("jobs acme/payments 1")
    log = await lookup.github("log acme/payments 2")
    compare = await lookup.github("compare acme/payments main...no-such-branch")
    assert jobs.title == "Run 1 in acme/payments was not found on GitHub, or the bot has no access to it."
    assert log.title == "Job 2 in acme/payments was not found on GitHub, or the bot has no access to it."
    assert compare.title.startswith("main...no-such-branch in acme/payments was not found on GitHub")


async def test_a_repository_outside_the_allowlist_is_refused_before_any_request(
    github_sim: GitHubSimulator,
) -> None:
    async with GitHubClient.create(github_sim.url, token="ghp_t", repos=["acme/payments"]) as github:
        lookup = Lookup(None, github)
        cards = [await lookup.github(f"{sub} acme/secret {arg}".strip()) for sub, arg in _OUTSIDE]
    assert all(card.kind == "notice" and "acme/secret" in card.title for card in cards), cards
    assert not [r for r in github_sim.requests if "/acme/secret" in r.path]


_OUTSIDE = (("runs", ""), ("jobs", "6100421"), ("log", "9100423"), ("compare", "main...dev"))


async def test_sub_commands_say_their_usage_and_when_the_service_is_not_configured() -> None:
    nothing = Lookup(None, None)
    assert (await nothing.jira("transitions")).title == TRANSITIONS_USAGE
    assert (await nothing.github("log acme/payments latest")).title == LOG_USAGE
    assert (await nothing.jira("count project = OPS")).title == "Jira is not configured for this bot."
    assert (await nothing.github("runs acme/payments")).title == "GitHub is not configured for this bot."
