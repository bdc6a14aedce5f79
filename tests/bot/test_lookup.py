"""The direct commands against the simulated Jira, GitHub and LLM: what each argument answers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.agent import build_jql_translator
from bot.cards import Card
from bot.lookup import (
    GH_USAGE,
    JIRA_USAGE,
    NO_TRANSLATION,
    GitHubItem,
    GitHubQuery,
    GitHubRepo,
    JiraRequestKind,
    Lookup,
    classify_jira,
    issue_key,
    parse_github,
)
from integrations.github import GitHubClient
from integrations.jira import JiraClient
from simulators.github import GitHubSimulator
from simulators.jira import JiraSimulator
from simulators.llm import LLMSimulator


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("OPS-2", "key"),
        ("ops-2", "key"),
        ("https://acme.atlassian.net/browse/OPS-2", "key"),
        ('project = OPS AND status = "In Progress"', "jql"),
        ("assignee != currentUser()", "jql"),
        ('summary ~ "retry"', "jql"),
        ('status in (Blocked, "To Do")', "jql"),
        ("status NOT IN (Done)", "jql"),
        ("assignee is EMPTY", "jql"),
        ("priority >= High", "jql"),
        ("ORDER BY updated DESC", "jql"),
        ('status was "Blocked"', "jql"),
        ("status changed to Done after -7d", "jql"),
        ("open bugs in payments", "text"),
        ("what is blocked and who owns it", "text"),
        ("bugs or incidents in OPS", "text"),
        ("issues assigned to me in order", "text"),
        ('"a = b" somewhere', "text"),  # an operator inside quotes is a phrase, not JQL
        ("OPS-2 and OPS-3", "text"),
    ],
)
def test_the_jira_argument_is_a_key_jql_or_words(text: str, kind: JiraRequestKind) -> None:
    assert classify_jira(text) == kind


def test_issue_keys_are_taken_from_browse_urls_and_upper_cased() -> None:
    assert issue_key(" ops-2 ") == "OPS-2"
    assert issue_key("https://acme.atlassian.net/browse/OPS-12?focusedCommentId=1") == "OPS-12"


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("", None),
        ("acme/payments#42", GitHubItem("acme/payments", 42)),
        ("https://github.com/acme/payments/pull/42", GitHubItem("acme/payments", 42)),
        ("https://ghe.acme.internal/acme/payments/issues/40#issuecomment-1", GitHubItem("acme/payments", 40)),
        ("acme/payments", GitHubRepo("acme/payments")),
        ("idempotency retry", GitHubQuery("idempotency retry")),
        ("repo:acme/payments is:pr is:open", GitHubQuery("repo:acme/payments is:pr is:open")),
        ("acme/payments#x", GitHubQuery("acme/payments#x")),
    ],
)
def test_the_gh_argument_is_an_item_a_repo_or_a_search(text: str, parsed: object) -> None:
    assert parse_github(text) == parsed


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
