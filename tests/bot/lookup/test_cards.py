"""Cards are built from the integrations' models: what each card says, and the CI verdict."""

from __future__ import annotations

import pytest

from bot.lookup.cards import (
    ci_line,
    github_compare_card,
    github_issue_card,
    github_pull_card,
    github_review_queue_card,
    github_search_card,
    jira_count_card,
    jira_issue_card,
    jira_list_card,
    jira_projects_card,
    jira_transitions_card,
    short_time,
)
from integrations.github.models import (
    CheckRun,
    CiSummary,
    CommitSummary,
    Comparison,
    FilesSummary,
    GitHubIssue,
    PullRequest,
    PullSummary,
    Review,
    SearchHit,
    SearchResult,
)
from integrations.jira.models import (
    JiraIssue,
    JiraIssueLink,
    JiraProject,
    JiraSearchHit,
    JiraSearchResult,
    JiraSprint,
    JiraSubtask,
    JiraTransition,
)

SITE = "https://acme.atlassian.net"


def _issue(**changes: object) -> JiraIssue:
    base: dict[str, object] = {
        "key": "OPS-2",
        "url": f"{SITE}/browse/OPS-2",
        "summary": "Roll out payments v2",
        "status": "Blocked",
        "issue_type": "Story",
        "priority": "Medium",
        "assignee": "Fox Mulder",
        "updated": "2026-11-20T08:55:31.000+0000",
        "links": [
            JiraIssueLink(relation="is blocked by", key="OPS-1", summary="Fix charges", status="In Progress")
        ],
    }
    return JiraIssue.model_validate({**base, **changes})


def _fields(card_fields: object) -> dict[str, str]:
    return {field.label: field.value for field in card_fields}  # type: ignore[attr-defined]


def _pull(**changes: object) -> PullRequest:
    base: dict[str, object] = {
        "repo": "acme/payments",
        "number": 42,
        "url": "https://github.com/acme/payments/pull/42",
        "title": "Keep idempotency key",
        "state": "open",
        "author": "dscully",
        "head": "fix/idempotency",
        "base": "main",
        "mergeable": True,
        "requested_reviewers": ["fmulder"],
        "updated_at": "2026-11-21T10:00:00Z",
    }
    return PullRequest.model_validate({**base, **changes})


def test_an_issue_card_has_the_summary_status_people_links_update_and_a_button() -> None:
    card = jira_issue_card(_issue())
    assert card.title == "OPS-2: Roll out payments v2" and card.url == f"{SITE}/browse/OPS-2"
    assert _fields(card.fields) == {
        "Status": "Blocked",
        "Assignee": "Fox Mulder",
        "Priority": "Medium",
        "Type": "Story",
    }
    (link,) = card.rows
    assert (link.prefix, link.key, link.text, link.detail) == (
        "is blocked by",
        "OPS-1",
        "Fix charges",
        "In Progress",
    )
    assert link.url == f"{SITE}/browse/OPS-1"
    assert card.footer == "Updated 2026-11-20 08:55 UTC"
    assert card.button is not None and card.button.url == f"{SITE}/browse/OPS-2"


def test_an_issue_card_shows_sprint_versions_subtasks_and_says_unassigned() -> None:
    card = jira_issue_card(
        _issue(
            assignee=None,
            links=[],
            sprint=JiraSprint(name="Sprint 14", state="active"),
            fix_versions=["2.4.0"],
            subtasks=[JiraSubtask(key="OPS-9", summary="Canary", status="To Do")],
        )
    )
    fields = _fields(card.fields)
    assert fields["Assignee"] == "Unassigned"
    assert fields["Sprint"] == "Sprint 14 (active)" and fields["Fix versions"] == "2.4.0"
    assert [(row.prefix, row.key) for row in card.rows] == [("subtask", "OPS-9")]


def test_a_jira_list_keeps_its_query_and_offers_more_only_when_there_is_a_next_page() -> None:
    hits = [
        JiraSearchHit(key=f"OPS-{n}", url=f"{SITE}/browse/OPS-{n}", summary=f"s{n}", status="To Do")
        for n in (1, 2)
    ]
    result = JiraSearchResult(jql="project = OPS", issues=hits, is_last=False, next_page_token="tok")
    card = jira_list_card(result, next_token="tok")
    assert card.title == "First 2 issues" and card.query == "project = OPS"
    assert [row.key for row in card.rows] == ["OPS-1", "OPS-2"]
    assert card.rows[0].detail == "To Do · Unassigned"
    assert card.next_page is not None and card.next_page.token == "tok"

    last = jira_list_card(result.model_copy(update={"next_page_token": None}), next_token=None)
    assert last.next_page is None and last.title == "2 issues"
    empty = jira_list_card(JiraSearchResult(jql="project = OPS"), next_token=None)
    assert empty.title == "No issues" and empty.rows == [] and empty.empty


@pytest.mark.parametrize(
    ("checks", "expected"),
    [
        ([], "no checks"),
        ([("build", "completed", "success"), ("lint", "completed", "skipped")], "passing"),
        ([("build", "completed", "success"), ("tests", "completed", "failure")], "failing: tests"),
        ([("build", "in_progress", None), ("tests", "completed", "timed_out")], "failing: tests"),
        ([("build", "in_progress", None), ("lint", "completed", "success")], "running: 1 of 2 done"),
    ],
)
def test_the_ci_line_says_passing_failing_with_names_or_running(
    checks: list[tuple[str, str, str | None]], expected: str
) -> None:
    runs = [CheckRun(name=name, status=status, conclusion=conclusion) for name, status, conclusion in checks]
    assert ci_line(runs) == expected


def test_a_pull_request_card_has_state_review_ci_and_mergeability() -> None:
    failing = [CheckRun(name="integration-tests", status="completed", conclusion="failure")]
    card = github_pull_card(_pull(checks=failing))
    fields = _fields(card.fields)
    assert card.title == "acme/payments#42: Keep idempotency key"
    assert fields["State"] == "open" and fields["Review"] == "requested from fmulder"
    assert fields["CI"] == "failing: integration-tests" and fields["Mergeable"] == "yes"
    assert fields["Branch"] == "fix/idempotency → main"
    assert card.footer == "Updated 2026-11-21 10:00 UTC"

    merged = _fields(github_pull_card(_pull(state="closed", merged=True)).fields)
    assert merged["State"] == "merged" and "Mergeable" not in merged
    assert _fields(github_pull_card(_pull(draft=True)).fields)["State"] == "draft"


def test_an_issue_card_and_a_search_list() -> None:
    issue = GitHubIssue(
        repo="acme/payments",
        number=40,
        url="https://github.com/acme/payments/issues/40",
        title="Duplicate charges",
        state="open",
        author="wskinner",
        labels=["bug"],
        comments=3,
    )
    fields = _fields(github_issue_card(issue).fields)
    assert fields == {
        "State": "open",
        "Author": "wskinner",
        "Assignees": "Unassigned",
        "Comments": "3",
        "Labels": "bug",
    }

    hit = SearchHit(repo="acme/payments", number=40, url=issue.url, title="Duplicate charges", state="open")
    card = github_search_card(SearchResult(query="charges", total_count=12, items=[hit]))
    assert card.title == "1 of 12 results" and card.query == "charges"
    assert card.rows[0].key == "acme/payments#40" and card.rows[0].detail == "issue · open"


def test_the_review_queue_lists_only_open_ready_pulls_with_reviewers_requested() -> None:
    def summary(number: int, **changes: object) -> PullSummary:
        base: dict[str, object] = {
            "repo": "acme/payments",
            "number": number,
            "url": f"https://github.com/acme/payments/pull/{number}",
            "title": f"pull {number}",
            "state": "open",
            "author": "dscully",
            "requested_reviewers": ["fmulder"],
        }
        return PullSummary.model_validate({**base, **changes})

    pulls = [
        summary(1),
        summary(2, draft=True),
        summary(3, requested_reviewers=[]),
        summary(4, state="closed"),
        summary(5, requested_reviewers=[], requested_teams=["acme/payments-team"]),
    ]
    card = github_review_queue_card("acme/payments", pulls)
    assert [row.key for row in card.rows] == ["#1", "#5"]
    assert card.rows[0].detail == "dscully · waiting on fmulder"
    assert card.rows[1].detail == "dscully · waiting on acme/payments-team"
    assert card.title == "acme/payments: 2 pull requests waiting for review"
    assert github_review_queue_card("acme/payments", []).empty


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({}, "requested from fmulder"),
        ({"requested_reviewers": []}, "no review requested"),
        ({"requested_reviewers": [], "review_state": "review_required"}, "review required"),
        (
            {"review_state": "approved", "reviews": [Review(reviewer="wskinner", state="APPROVED")]},
            "approved by wskinner; requested from fmulder",
        ),
        (
            {
                "requested_reviewers": [],
                "review_state": "changes_requested",
                "reviews": [
                    Review(reviewer="wskinner", state="APPROVED"),
                    Review(reviewer="fmulder", state="CHANGES_REQUESTED"),
                ],
            },
            "changes requested by fmulder",
        ),
    ],
)
def test_the_review_line_says_the_decision_who_made_it_and_who_is_asked(
    changes: dict[str, object], said: str
) -> None:
    assert _fields(github_pull_card(_pull(**changes)).fields)["Review"] == said


def test_the_pull_card_prefers_the_combined_ci_summary_and_says_files_and_merge_state() -> None:
    ci = CiSummary(state="failing", failing=["ci/jenkins"], passed=2, total=3)
    fields = _fields(
        github_pull_card(
            _pull(
                ci=ci,
                files=FilesSummary(changed_files=3, additions=120, deletions=14),
                mergeable_state="blocked",
            )
        ).fields
    )
    assert fields["CI"] == "failing: ci/jenkins"
    assert fields["Files"] == "3 files, +120 −14"
    assert fields["Mergeable"] == "blocked (required reviews or checks)"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("2026-11-20T08:55:31.000+0000", "2026-11-20 08:55 UTC"),
        ("2026-11-20T10:55:31+02:00", "2026-11-20 08:55 UTC"),
        ("2026-11-21T10:00:00Z", "2026-11-21 10:00 UTC"),
        ("yesterday", "yesterday"),
        ("", ""),
    ],
)
def test_times_are_shown_short_and_in_utc(raw: str, shown: str) -> None:
    assert short_time(raw) == shown


def test_a_count_says_about_on_cloud_exactly_on_data_center_and_shows_the_jql() -> None:
    cloud = jira_count_card('project in ("OPS") AND status = Blocked', 1234, estimate=True)
    assert cloud.kind == "jira_count" and cloud.title == "About 1,234 issues match"
    assert cloud.query == 'project in ("OPS") AND status = Blocked'
    assert jira_count_card("project = OPS", 1, estimate=False).title == "1 issue match"
    assert jira_count_card("project = OPS", 0, estimate=True).title == "No issues match"


def test_transitions_list_each_action_and_where_it_leads() -> None:
    url = f"{SITE}/browse/OPS-2"
    steps = [
        JiraTransition(id="21", name="Unblock", to_status="In Progress"),
        JiraTransition(id="31", name="Close", to_status=""),
    ]
    card = jira_transitions_card("OPS-2", url, steps)
    assert card.kind == "jira_transitions" and card.title == "OPS-2: 2 transitions available"
    assert [(row.key, row.detail) for row in card.rows] == [("Unblock", "to In Progress"), ("Close", "")]
    assert card.button is not None and card.button.url == url
    none = jira_transitions_card("OPS-2", url, [])
    assert none.title == "OPS-2: no transitions available" and none.rows == [] and none.empty


def test_projects_are_rows_with_key_name_and_link() -> None:
    card = jira_projects_card([JiraProject(key="OPS", name="Operations", url=f"{SITE}/browse/OPS")])
    assert card.kind == "jira_projects" and card.title == "1 Jira project the bot can read"
    (row,) = card.rows
    assert (row.key, row.text, row.url) == ("OPS", "Operations", f"{SITE}/browse/OPS")
    assert jira_projects_card([]).title == "No Jira projects the bot can read"


def _comparison(**changes: object) -> Comparison:
    base: dict[str, object] = {
        "repo": "acme/payments",
        "base": "main",
        "head": "fix/retry",
        "url": "https://github.com/acme/payments/compare/main...fix/retry",
        "status": "ahead",
        "ahead_by": 3,
        "total_commits": 3,
        "commits": [
            CommitSummary(sha="a" * 40, message="first", author="dana"),
            CommitSummary(sha="b" * 40, message="second", author="fox"),
            CommitSummary(sha="c" * 40, message="third", author="dana"),
        ],
        "files": FilesSummary(changed_files=2, additions=10, deletions=1),
    }
    return Comparison.model_validate({**base, **changes})


def test_a_comparison_says_ahead_behind_files_and_lists_the_newest_commit_first() -> None:
    card = github_compare_card(_comparison())
    assert card.kind == "github_compare" and card.title == "acme/payments: main...fix/retry"
    assert _fields(card.fields) == {
        "Status": "fix/retry is ahead of main",
        "Commits": "3 ahead, 0 behind",
        "Files": "2 files, +10 −1",
    }
    assert [row.key for row in card.rows] == ["ccccccc", "bbbbbbb", "aaaaaaa"]
    assert card.rows_heading == "Commits"
    assert card.button is not None and card.button.url.endswith("/compare/main...fix/retry")


def test_a_long_comparison_says_how_many_commits_it_shows_and_diverged_is_said() -> None:
    card = github_compare_card(_comparison(status="diverged", behind_by=2, total_commits=250))
    assert card.rows_heading == "Newest 3 of 250 commits"
    assert _fields(card.fields)["Status"] == "fix/retry and main have diverged"
    identical = github_compare_card(_comparison(status="identical", ahead_by=0, total_commits=0, commits=[]))
    assert _fields(identical.fields)["Status"] == "identical" and identical.rows_heading == ""
