"""GitHubClient against the GitHub simulator on loopback."""

from __future__ import annotations

import time

import httpx
import pytest
from aiohttp import web

from integrations.errors import BadRequest, NotFound, PermissionDenied, RateLimited
from integrations.etag_cache import CachedAnswer, ETagCache, cache_key
from integrations.github import GitHubClient
from integrations.github.client import BODY_CHARS
from simulators.base import LocalServer
from simulators.github import GitHubSimulator, load_seed
from tests.integrations.conftest import GITHUB_TOKEN, SleepRecorder

HEAD_SHA = "6dcb09b5b57875f334f61aebed695e2e4193db5e"


async def test_pull_request_42_has_the_failing_integration_check(github: GitHubClient) -> None:
    pull = await github.get_pull_request("acme/payments", 42)

    assert pull.title == "Keep idempotency key on payment retries"
    assert pull.url == "https://github.com/acme/payments/pull/42"
    assert (pull.state, pull.merged, pull.draft) == ("open", False, False)
    assert (pull.author, pull.base, pull.head, pull.head_sha) == (
        "dscully",
        "main",
        "fix/idempotency-retry",
        HEAD_SHA,
    )
    assert pull.requested_reviewers == ["fmulder"]
    assert pull.labels == ["bug"]
    assert pull.body == "Fixes OPS-1. The retry path now copies the idempotency key."
    assert {(check.name, check.status, check.conclusion) for check in pull.checks} == {
        ("unit-tests", "completed", "success"),
        ("lint", "completed", "success"),
        ("integration-tests", "completed", "failure"),
    }


async def test_pull_request_reads_pull_then_reviews_files_and_ci_with_githubs_headers(
    github: GitHubClient, github_sim: GitHubSimulator
) -> None:
    await github.get_pull_request("acme/payments", 42)

    first, *rest = [request.path for request in github_sim.requests]
    assert first == "/repos/acme/payments/pulls/42"
    assert sorted(rest) == [
        f"/repos/acme/payments/commits/{HEAD_SHA}/check-runs",
        f"/repos/acme/payments/commits/{HEAD_SHA}/status",
        "/repos/acme/payments/pulls/42/files",
        "/repos/acme/payments/pulls/42/reviews",
    ]
    for request in github_sim.requests:
        assert request.auth_scheme == "Bearer"
        assert request.headers["Accept"] == "application/vnd.github+json"
        assert request.headers["X-GitHub-Api-Version"] == "2022-11-28"
        assert request.headers["User-Agent"].startswith("chatops-bot/")


async def test_merged_pull_request(github: GitHubClient) -> None:
    pull = await github.get_pull_request("acme/payments", 38)

    assert (pull.state, pull.merged, pull.author) == ("closed", True, "fmulder")
    assert all(check.conclusion == "success" for check in pull.checks)


async def test_issue_40(github: GitHubClient) -> None:
    issue = await github.get_issue("acme/payments", 40)

    assert issue.title == "Duplicate charges on retry"
    assert (issue.state, issue.author, issue.is_pull_request) == ("open", "wskinner", False)
    assert issue.labels == ["bug", "payments"]
    assert issue.url == "https://github.com/acme/payments/issues/40"


async def test_a_pull_request_read_as_an_issue_says_so(github: GitHubClient) -> None:
    issue = await github.get_issue("acme/payments", 42)

    assert issue.is_pull_request
    assert issue.url == "https://github.com/acme/payments/pull/42"


async def test_an_issue_is_not_a_pull_request(github: GitHubClient) -> None:
    with pytest.raises(NotFound, match="pull request acme/payments#40 not found or no access"):
        await github.get_pull_request("acme/payments", 40)


async def test_search_issues_sends_the_query_and_reads_hits(
    github: GitHubClient, github_sim: GitHubSimulator
) -> None:
    result = await github.search_issues("repo:acme/payments is:pr is:open idempotency", limit=5)

    assert result.total_count == 1
    (hit,) = result.items
    assert (hit.repo, hit.number, hit.is_pull_request, hit.author) == ("acme/payments", 42, True, "dscully")
    (request,) = github_sim.requests
    assert request.path == "/search/issues"
    assert request.query == {"q": "repo:acme/payments is:pr is:open idempotency", "per_page": "5"}


async def test_search_issues_respects_the_limit(github: GitHubClient) -> None:
    result = await github.search_issues("repo:acme/payments", limit=2)

    assert result.total_count == 4
    assert len(result.items) == 2


@pytest.mark.parametrize(
    "repo", ["acme", "acme/", "/payments", "acme/payments/extra", "ac me/payments", "acme/.."]
)
async def test_malformed_repos_are_refused_before_any_request(
    github: GitHubClient, github_sim: GitHubSimulator, repo: str
) -> None:
    with pytest.raises(BadRequest, match="owner/name"):
        await github.get_issue(repo, 1)

    assert github_sim.requests == []


async def test_numbers_must_be_positive(github: GitHubClient) -> None:
    with pytest.raises(BadRequest):
        await github.get_pull_request("acme/payments", 0)


async def test_empty_search_is_refused_locally(github: GitHubClient, github_sim: GitHubSimulator) -> None:
    with pytest.raises(BadRequest):
        await github.search_issues(" ")

    assert github_sim.requests == []


async def test_unknown_repository_in_search_is_a_bad_request(github: GitHubClient) -> None:
    with pytest.raises(BadRequest, match="cannot be searched"):
        await github.search_issues("repo:acme/secret-project token")


async def test_bad_token_is_permission_denied_without_echoing_it(github_sim: GitHubSimulator) -> None:
    async with GitHubClient.create(github_sim.url, token="ghp_WRONGtoken") as github:
        with pytest.raises(PermissionDenied, match="Bad credentials") as caught:
            await github.get_issue("acme/payments", 40)

    assert "ghp_WRONGtoken" not in str(caught.value)


async def test_exhausted_rate_limit_is_reported_with_the_wait(
    github: GitHubClient, github_sim: GitHubSimulator, sleeps: SleepRecorder
) -> None:
    reset = int(time.time()) + 900
    github_sim.fail_next(
        403,
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)},
        body={"message": "API rate limit exceeded for user ID 5099."},
    )

    with pytest.raises(RateLimited) as caught:
        await github.get_issue("acme/payments", 40)

    assert caught.value.retry_after is not None and 800 < caught.value.retry_after <= 900
    assert sleeps.calls == []


async def test_long_bodies_are_truncated(sleeps: SleepRecorder) -> None:
    seed = load_seed()
    seed["repos"][0]["items"][1]["body"] = "spam " * 5000
    async with GitHubSimulator(seed=seed) as sim:
        async with GitHubClient.create(sim.url, token=GITHUB_TOKEN, sleep=sleeps) as github:
            issue = await github.get_issue("acme/payments", 40)

    assert len(issue.body) == BODY_CHARS
    assert issue.body.endswith("…")


async def test_viewer_names_the_token_owner(github: GitHubClient, github_sim: GitHubSimulator) -> None:
    assert await github.viewer() == "acme-chatops"
    assert github_sim.requests[0].path == "/user"


# -- "is it green?", reviews, files ----------------------------------------------------------------


async def test_pull_42_is_failing_and_still_needs_a_review(github: GitHubClient) -> None:
    pull = await github.get_pull_request("acme/payments", 42)

    assert (pull.ci.state, pull.ci.failing, pull.ci.pending) == ("failing", ["integration-tests"], [])
    assert (pull.ci.passed, pull.ci.total) == (3, 4)  # 3 check runs + 1 commit status
    assert pull.ci.text == "failing: integration-tests"
    assert [(s.context, s.state) for s in pull.statuses] == [("security/snyk", "success")]
    assert pull.review_state == "review_required"
    assert [(r.reviewer, r.state) for r in pull.reviews] == [("wskinner", "COMMENTED")]
    assert (pull.mergeable, pull.mergeable_state) == (True, "unstable")
    assert (pull.files.changed_files, pull.files.additions, pull.files.deletions) == (3, 41, 9)
    assert pull.files.names == [
        "payments/retry.py",
        "payments/idempotency.py",
        "tests/integration/test_retries.py",
    ]


async def test_pull_44_has_changes_requested_and_ci_still_running(github: GitHubClient) -> None:
    pull = await github.get_pull_request("acme/payments", 44)

    assert pull.review_state == "changes_requested"
    assert pull.requested_teams == ["ops-team"]
    assert (pull.ci.state, pull.ci.pending) == ("pending", ["integration-tests", "deploy/preview"])
    assert (pull.mergeable, pull.mergeable_state) == (False, "blocked")


async def test_merged_pull_38_is_approved_and_green(github: GitHubClient) -> None:
    pull = await github.get_pull_request("acme/payments", 38)

    # dscully commented, wskinner approved later: the comment does not cancel the approval.
    assert pull.review_state == "approved"
    assert {(r.reviewer, r.state) for r in pull.reviews} == {
        ("dscully", "COMMENTED"),
        ("wskinner", "APPROVED"),
    }
    assert pull.ci.state == "passing" and pull.ci.text == "passing (4 checks)"


# -- lists and pages ---------------------------------------------------------------------------


async def test_open_pull_requests_awaiting_review(github: GitHubClient, github_sim: GitHubSimulator) -> None:
    pulls = await github.list_pull_requests("acme/payments")

    assert [(p.number, p.awaiting_review) for p in pulls.items] == [(44, True), (42, True)]
    assert pulls.items[1].requested_reviewers == ["fmulder"]
    assert pulls.items[0].requested_teams == ["ops-team"]
    (request,) = github_sim.requests
    assert request.query == {"state": "open", "per_page": "20"}


async def test_pull_requests_follow_link_next_across_pages(sleeps: SleepRecorder) -> None:
    async with GitHubSimulator(max_per_page=1) as sim:
        async with GitHubClient.create(sim.url, token=GITHUB_TOKEN, sleep=sleeps) as github:
            everything = await github.list_pull_requests("acme/payments", state="all", limit=10)
            first_two = await github.list_pull_requests("acme/payments", state="all", limit=2)

    assert [pull.number for pull in everything.items] == [44, 42, 38]
    assert [pull.number for pull in first_two.items] == [44, 42]
    pages = [request.query.get("page") for request in sim.requests]
    assert pages == [None, "2", "3", None, "2"]  # the first page as asked, then the Link URLs
    assert all(request.query["state"] == "all" for request in sim.requests)


async def test_a_link_to_another_host_is_not_followed(sleeps: SleepRecorder) -> None:
    async def pulls(request: web.Request) -> web.Response:
        link = '<https://elsewhere.example/repos/acme/payments/pulls?page=2>; rel="next"'
        return web.json_response([], headers={"Link": link})

    app = web.Application()
    app.router.add_get("/repos/acme/payments/pulls", pulls)
    async with LocalServer(app) as server:
        async with GitHubClient.create(server.url, token=GITHUB_TOKEN, sleep=sleeps) as github:
            result = await github.list_pull_requests("acme/payments")

    assert result.items == []  # and the network guard saw no attempt to reach elsewhere.example


async def test_unknown_state_is_refused_locally(github: GitHubClient, github_sim: GitHubSimulator) -> None:
    with pytest.raises(BadRequest, match="open, closed or all"):
        await github.list_pull_requests("acme/payments", state="merged")

    assert github_sim.requests == []


# -- 404 means "not found or no access" --------------------------------------------------------


async def test_a_404_is_reported_as_not_found_or_no_access(github: GitHubClient) -> None:
    with pytest.raises(NotFound) as caught:
        await github.get_issue("acme/private-thing", 7)

    assert str(caught.value) == "github: issue acme/private-thing#7 not found or no access"
    assert caught.value.status == 404


# -- conditional requests ----------------------------------------------------------------------


async def test_a_second_read_is_a_304_served_from_the_cache(
    github: GitHubClient, github_sim: GitHubSimulator
) -> None:
    first = await github.get_issue("acme/payments", 40)
    second = await github.get_issue("acme/payments", 40)

    assert second == first
    first_request, second_request = github_sim.requests
    assert "If-None-Match" not in first_request.headers
    assert second_request.headers["If-None-Match"].startswith('W/"')
    assert github_sim.used["core"] == 1  # the 304 cost no quota


async def test_a_changed_resource_is_read_again(github: GitHubClient, github_sim: GitHubSimulator) -> None:
    await github.get_issue("acme/payments", 40)
    github_sim.seed["repos"][0]["items"][1]["title"] = "Duplicate charges on retry (root cause found)"

    issue = await github.get_issue("acme/payments", 40)

    assert issue.title == "Duplicate charges on retry (root cause found)"
    assert github_sim.used["core"] == 2


def test_cache_entries_are_per_credential_and_bounded() -> None:
    def request(token: str) -> httpx.Request:
        return httpx.Request("GET", "https://api.github.com/x", headers={"Authorization": f"Bearer {token}"})

    cache = ETagCache(max_entries=2)
    for index, token in enumerate(["a", "b", "c"]):
        cache.put(cache_key(request(token)), CachedAnswer(etag=f'"{index}"', headers=(), body=b"{}"))

    assert cache_key(request("a")) != cache_key(request("b"))
    assert "Bearer" not in cache_key(request("a")) and "secret" not in cache_key(request("secret"))
    assert len(cache) == 2 and cache.get(cache_key(request("a"))) is None


# -- compare -----------------------------------------------------------------------------------


async def test_compare_a_branch_with_main(github: GitHubClient, github_sim: GitHubSimulator) -> None:
    comparison = await github.compare("acme/payments", "main", "fix/idempotency-retry")

    assert (comparison.status, comparison.ahead_by, comparison.behind_by) == ("ahead", 2, 0)
    assert [c.message for c in comparison.commits] == [
        "Copy the idempotency key on retry",
        "Cover provider timeouts in the retry tests",
    ]
    assert comparison.commits[0].author == "dscully"
    assert (comparison.files.changed_files, comparison.files.additions) == (3, 41)
    assert comparison.url == "https://github.com/acme/payments/compare/main...fix/idempotency-retry"
    assert github_sim.requests[0].path == "/repos/acme/payments/compare/main...fix/idempotency-retry"


@pytest.mark.parametrize(
    ("base", "head"), [("main", "a..b"), ("-x", "main"), ("main", "has space"), ("", "main")]
)
async def test_compare_refuses_odd_refs_locally(
    github: GitHubClient, github_sim: GitHubSimulator, base: str, head: str
) -> None:
    with pytest.raises(BadRequest):
        await github.compare("acme/payments", base, head)

    assert github_sim.requests == []


# -- one commit --------------------------------------------------------------------------------

FLAG_SHA = "3f4e5d6c7b8a99aab0c1d2e3f4a5b6c7d8e9f0a1"  # acme/payments#38, a one-commit pull request


async def test_a_commit_read_by_its_short_sha(github: GitHubClient, github_sim: GitHubSimulator) -> None:
    commit = await github.get_commit("acme/payments", "3f4e5d6")

    assert (commit.repo, commit.sha, commit.message, commit.author) == (
        "acme/payments",
        FLAG_SHA,
        "Add payments v2 feature flag",
        "fmulder",
    )
    assert commit.url == f"https://github.com/acme/payments/commit/{FLAG_SHA}"
    assert commit.date == "2026-11-07T15:39:50Z"
    assert (commit.files.changed_files, commit.files.additions, commit.files.deletions) == (5, 84, 6)
    assert commit.files.names[0] == "payments/flags.py"
    assert [r.path for r in github_sim.requests] == ["/repos/acme/payments/commits/3f4e5d6"]


async def test_an_unknown_commit_is_not_found_or_no_access(github: GitHubClient) -> None:
    with pytest.raises(NotFound) as caught:
        await github.get_commit("acme/payments", "deadbeef")

    assert str(caught.value) == "github: commit acme/payments@deadbeef not found or no access"
    assert caught.value.status == 404


@pytest.mark.parametrize("ref", ["a..b", "-x", "has space", ""])
async def test_get_commit_refuses_odd_refs_locally(
    github: GitHubClient, github_sim: GitHubSimulator, ref: str
) -> None:
    with pytest.raises(BadRequest):
        await github.get_commit("acme/payments", ref)

    assert github_sim.requests == []
