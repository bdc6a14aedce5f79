"""GitHubClient against the GitHub simulator on loopback."""

from __future__ import annotations

import time

import pytest

from integrations.errors import BadRequest, NotFound, PermissionDenied, RateLimited
from integrations.github import GitHubClient
from integrations.github.client import BODY_CHARS
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


async def test_pull_request_reads_pull_then_check_runs_with_githubs_headers(
    github: GitHubClient, github_sim: GitHubSimulator
) -> None:
    await github.get_pull_request("acme/payments", 42)

    assert [request.path for request in github_sim.requests] == [
        "/repos/acme/payments/pulls/42",
        f"/repos/acme/payments/commits/{HEAD_SHA}/check-runs",
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
    with pytest.raises(NotFound, match="Not Found"):
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

    assert result.total_count == 3
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
