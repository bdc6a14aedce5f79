"""The repository allowlist (GITHUB_REPOS) and search's own rate limit, before any request."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection

import pytest

from integrations.budget import time_budget
from integrations.errors import NotFound, PermissionDenied, RateLimited
from integrations.github import GitHubClient
from integrations.github.scope import RepoScope
from integrations.github.search_limiter import SearchLimiter
from simulators.github import GitHubSimulator
from tests.integrations.conftest import GITHUB_TOKEN, SleepRecorder


def scoped(
    sim: GitHubSimulator, repos: Collection[str], sleeps: SleepRecorder, **kwargs: object
) -> GitHubClient:
    return GitHubClient.create(sim.url, token=GITHUB_TOKEN, repos=repos, sleep=sleeps, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
async def payments_only(github_sim: GitHubSimulator, sleeps: SleepRecorder) -> AsyncIterator[GitHubClient]:
    async with scoped(github_sim, ["acme/payments"], sleeps) as client:
        yield client


@pytest.mark.parametrize(
    "read",
    [
        lambda gh: gh.get_issue("acme/ledger", 1),
        lambda gh: gh.get_pull_request("other/payments", 1),
        lambda gh: gh.list_pull_requests("acme/ledger"),
        lambda gh: gh.compare("acme/ledger", "main", "dev"),
        lambda gh: gh.workflow_runs("acme/ledger"),
        lambda gh: gh.run_jobs("acme/ledger", 1),
        lambda gh: gh.job_log_tail("acme/ledger", 1),
    ],
)
async def test_other_repositories_are_refused_before_any_request(
    payments_only: GitHubClient, github_sim: GitHubSimulator, read: object
) -> None:
    with pytest.raises(PermissionDenied, match="acme/ledger|other/payments"):
        await read(payments_only)  # type: ignore[operator]

    assert github_sim.requests == []


async def test_the_allowlist_is_case_insensitive(payments_only: GitHubClient) -> None:
    issue = await payments_only.get_issue("ACME/Payments", 40)

    assert issue.number == 40


async def test_owner_wildcard_allows_every_repository_of_the_owner(
    github_sim: GitHubSimulator, sleeps: SleepRecorder
) -> None:
    async with scoped(github_sim, ["acme/*"], sleeps) as github:
        with pytest.raises(NotFound):  # allowed, so asked: the simulator does not know it
            await github.get_issue("acme/ledger", 1)
        with pytest.raises(PermissionDenied):
            await github.get_issue("other/ledger", 1)

    assert [request.path for request in github_sim.requests] == ["/repos/acme/ledger/issues/1"]


@pytest.mark.parametrize(
    ("query", "sent"),
    [
        ("retry", "retry repo:acme/payments"),
        ("repo:acme/payments is:open", "repo:acme/payments is:open"),
        ("-repo:acme/payments bug", "-repo:acme/payments bug repo:acme/payments"),
        ("label:bug OR label:payments", "(label:bug OR label:payments) repo:acme/payments"),
        ("repo:acme/payments OR is:open", "(repo:acme/payments OR is:open) repo:acme/payments"),
    ],
)
async def test_searches_are_kept_inside_the_allowlist(
    payments_only: GitHubClient, github_sim: GitHubSimulator, query: str, sent: str
) -> None:
    result = await payments_only.search_issues(query)

    assert github_sim.requests[0].query["q"] == sent
    assert result.query == sent
    assert all(hit.repo == "acme/payments" for hit in result.items)


@pytest.mark.parametrize(
    "query",
    [
        "repo:acme/ledger retry",
        "retry repo:acme/payments OR repo:evil/x",
        "org:acme bug",
        "user:acme bug",
        '"repo:evil/x"',
    ],
)
async def test_searches_naming_other_places_are_refused(
    payments_only: GitHubClient, github_sim: GitHubSimulator, query: str
) -> None:
    with pytest.raises(PermissionDenied, match="outside the repositories"):
        await payments_only.search_issues(query)

    assert github_sim.requests == []


def test_wildcards_become_user_qualifiers() -> None:
    scope = RepoScope(["acme/*", "acme/payments", "Other/Tools"])

    assert scope.qualifiers() == "repo:other/tools user:acme"
    assert scope.scope_query("org:acme bug") == "org:acme bug"
    assert scope.scope_query("bug") == "bug repo:other/tools user:acme"


def test_no_allowlist_changes_nothing() -> None:
    scope = RepoScope(None)

    assert scope.unrestricted and scope.allows("any/thing")
    assert scope.scope_query("repo:any/thing OR bug") == "repo:any/thing OR bug"


# -- search's 30-a-minute limit ------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_full_search_window_fails_fast_outside_a_budget(
    github_sim: GitHubSimulator, sleeps: SleepRecorder
) -> None:
    clock = FakeClock()
    limiter = SearchLimiter(per_minute=2, clock=clock, sleep=sleeps)
    async with scoped(github_sim, [], sleeps, search_limiter=limiter) as github:
        await github.search_issues("retry")
        clock.now += 15
        await github.search_issues("retry")
        with pytest.raises(RateLimited, match="rate limited, try again in 45 s") as caught:
            await github.search_issues("retry")

    assert caught.value.retry_after == pytest.approx(45.0)
    assert len(github_sim.requests) == 2 and sleeps.calls == []


async def test_a_full_search_window_waits_when_the_run_can_afford_it(
    github_sim: GitHubSimulator, sleeps: SleepRecorder
) -> None:
    clock = FakeClock()

    async def sleep(seconds: float) -> None:
        await sleeps(seconds)
        clock.now += seconds

    limiter = SearchLimiter(per_minute=2, clock=clock, sleep=sleep)
    async with scoped(github_sim, [], sleeps, search_limiter=limiter) as github:
        with time_budget(120):
            for _ in range(3):
                await github.search_issues("retry")
                clock.now += 1

    assert sleeps.calls == [pytest.approx(58.0)]
    assert len(github_sim.requests) == 3


async def test_the_window_slides(sleeps: SleepRecorder) -> None:
    clock = FakeClock()
    limiter = SearchLimiter(per_minute=2, clock=clock, sleep=sleeps)

    await limiter.acquire()
    await limiter.acquire()
    clock.now += 60  # both have aged out
    await limiter.acquire()
    await limiter.acquire()

    assert sleeps.calls == []
