"""What a /jira or /gh argument asks for: keys, JQL, words, items, searches and the sub-commands.

The sub-command keywords must not change what any older argument meant; the cases marked
"as before" pin that.
"""

from __future__ import annotations

import pytest

from bot.lookup.request import (
    COMPARE_USAGE,
    COUNT_USAGE,
    GH_USAGE,
    JIRA_USAGE,
    JOBS_USAGE,
    LOG_USAGE,
    RUNS_USAGE,
    TRANSITIONS_USAGE,
    GitHubCompare,
    GitHubItem,
    GitHubJobs,
    GitHubLog,
    GitHubQuery,
    GitHubRepo,
    GitHubRuns,
    JiraCount,
    JiraJql,
    JiraKey,
    JiraProjects,
    JiraRequestKind,
    JiraTransitions,
    JiraWords,
    Usage,
    classify_jira,
    issue_key,
    parse_github,
    parse_jira,
)


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
        ("", Usage(GH_USAGE)),
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


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("", Usage(JIRA_USAGE)),
        ("ops-2", JiraKey("OPS-2")),  # as before
        ("https://acme.atlassian.net/browse/ops-7", JiraKey("OPS-7")),  # as before
        ("project = OPS", JiraJql("project = OPS")),  # as before
        ("open bugs in payments", JiraWords("open bugs in payments")),  # as before
        (
            "count project = OPS AND status = Blocked",
            JiraCount("project = OPS AND status = Blocked", is_jql=True),
        ),
        ("COUNT   status in (Blocked)", JiraCount("status in (Blocked)", is_jql=True)),
        ("count open bugs in OPS", JiraCount("open bugs in OPS", is_jql=False)),
        ("count", Usage(COUNT_USAGE)),
        ("count OPS-2", Usage(COUNT_USAGE)),
        ("count = 3", JiraJql("count = 3")),  # a field named count: JQL, as before
        ("count in (1, 2)", JiraJql("count in (1, 2)")),  # as before
        ("count is EMPTY", JiraJql("count is EMPTY")),  # as before
        ("transitions OPS-2", JiraTransitions("OPS-2")),
        ("transitions https://acme.atlassian.net/browse/ops-2", JiraTransitions("OPS-2")),
        ("transitions", Usage(TRANSITIONS_USAGE)),
        ("transitions for the rollout", Usage(TRANSITIONS_USAGE)),
        ("transitions = 2", JiraJql("transitions = 2")),  # as before
        ("projects", JiraProjects()),
        ("Projects", JiraProjects()),
        ("projects with open bugs", JiraWords("projects with open bugs")),  # as before
        ("project = OPS ORDER BY key", JiraJql("project = OPS ORDER BY key")),  # "project" is no keyword
    ],
)
def test_jira_sub_commands_start_with_a_keyword_that_cannot_be_a_key_or_jql(
    text: str, parsed: object
) -> None:
    assert parse_jira(text) == parsed


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        (
            "compare acme/payments main...fix/idempotency-retry",
            GitHubCompare("acme/payments", "main", "fix/idempotency-retry"),
        ),
        ("compare acme/payments v1.2.0...6dcb09b", GitHubCompare("acme/payments", "v1.2.0", "6dcb09b")),
        ("compare acme/payments main", Usage(COMPARE_USAGE)),
        ("compare acme/payments main..dev", Usage(COMPARE_USAGE)),
        ("compare acme/payments ...dev", Usage(COMPARE_USAGE)),
        ("compare acme/payments main...dev extra", Usage(COMPARE_USAGE)),
        ("runs acme/payments", GitHubRuns("acme/payments")),
        ("Runs acme/payments fix/idempotency-retry", GitHubRuns("acme/payments", "fix/idempotency-retry")),
        ("runs acme/payments main extra", Usage(RUNS_USAGE)),
        ("runs", Usage(RUNS_USAGE)),
        ("jobs acme/payments 6100421", GitHubJobs("acme/payments", 6100421)),
        ("jobs acme/payments latest", Usage(JOBS_USAGE)),
        ("jobs acme/payments", Usage(JOBS_USAGE)),
        ("log acme/payments 9100423", GitHubLog("acme/payments", 9100423)),
        ("log acme/payments -1", Usage(LOG_USAGE)),
        ("log", Usage(LOG_USAGE)),
        ("log rotation", GitHubQuery("log rotation")),  # no repository second: a search, as before
        ("runs out of memory", GitHubQuery("runs out of memory")),  # as before
        ("compare prices", GitHubQuery("compare prices")),  # as before
        ("jobs/queue", GitHubRepo("jobs/queue")),  # a repository called jobs/queue, as before
        ("log/viewer#3", GitHubItem("log/viewer", 3)),  # as before
    ],
)
def test_gh_sub_commands_are_a_keyword_alone_or_followed_by_a_repository(text: str, parsed: object) -> None:
    assert parse_github(text) == parsed
