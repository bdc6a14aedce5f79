"""GitHubClient's writes against the GitHub simulator: what is sent, what changes, what is refused."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from integrations.errors import BadRequest, NotFound, PermissionDenied, Unavailable
from integrations.github import GitHubClient
from simulators.github import GitHubSimulator
from tests.integrations.conftest import GITHUB_TOKEN, SleepRecorder

FAILED_RUN = 6100421  # completed, integration-tests failed
RUNNING_RUN = 6100441
GREEN_RUN = 6100381


@pytest.fixture
async def scoped_github(github_sim: GitHubSimulator, sleeps: SleepRecorder) -> AsyncIterator[GitHubClient]:
    async with GitHubClient.create(
        github_sim.url, token=GITHUB_TOKEN, repos=["acme/payments"], sleep=sleeps
    ) as client:
        yield client


async def test_create_issue_and_read_it_back(github: GitHubClient, github_sim: GitHubSimulator) -> None:
    created = await github.create_issue(
        "acme/payments", "Flaky retry test", "Fails **1 in 20** runs", ["bug"]
    )

    assert (created.repo, created.number) == ("acme/payments", 45)
    assert created.url == "https://github.com/acme/payments/issues/45"
    (write,) = github_sim.writes()
    assert (write.operation, write.target) == ("issues/create", "acme/payments#45")
    assert write.body == {"title": "Flaky retry test", "body": "Fails **1 in 20** runs", "labels": ["bug"]}
    issue = await github.get_issue("acme/payments", 45)
    assert (issue.title, issue.state, issue.labels, issue.body) == (
        "Flaky retry test",
        "open",
        ["bug"],
        "Fails **1 in 20** runs",
    )


async def test_an_issue_without_labels_sends_none(github: GitHubClient, github_sim: GitHubSimulator) -> None:
    await github.create_issue("acme/payments", "Note", "")

    assert github_sim.writes()[0].body == {"title": "Note", "body": ""}


async def test_comment_on_a_pull_request_counts_on_the_issue(
    github: GitHubClient, github_sim: GitHubSimulator
) -> None:
    before = (await github.get_issue("acme/payments", 42)).comments

    added = await github.comment("acme/payments", 42, "CI is red on `integration-tests`")

    assert added.url == f"https://github.com/acme/payments/pull/42#issuecomment-{added.comment_id}"
    assert github_sim.writes()[0].body == {"body": "CI is red on `integration-tests`"}
    assert (await github.get_issue("acme/payments", 42)).comments == before + 1


async def test_comment_on_a_missing_issue_is_not_found(
    github: GitHubClient, github_sim: GitHubSimulator
) -> None:
    with pytest.raises(NotFound, match="not found or no access"):
        await github.comment("acme/payments", 999, "hello")

    assert github_sim.writes() == []


async def test_rerun_failed_jobs_requeues_the_run(github: GitHubClient, github_sim: GitHubSimulator) -> None:
    requested = await github.rerun_failed_jobs("acme/payments", FAILED_RUN)

    assert requested.url == f"https://github.com/acme/payments/actions/runs/{FAILED_RUN}"
    (write,) = github_sim.writes()
    assert write.operation == "actions/re-run-workflow-failed-jobs"
    runs = await github.workflow_runs("acme/payments", branch="fix/idempotency-retry")
    run = next(run for run in runs.items if run.id == FAILED_RUN)
    assert (run.status, run.run_attempt) == ("queued", 2)
    jobs = await github.run_jobs("acme/payments", FAILED_RUN)
    assert [job.conclusion for job in jobs.items] == ["success", "success", None]


@pytest.mark.parametrize(("run_id", "reason"), [(RUNNING_RUN, "in_progress"), (GREEN_RUN, "nothing failed")])
async def test_a_run_that_cannot_be_rerun_is_refused_before_any_write(
    github: GitHubClient, github_sim: GitHubSimulator, run_id: int, reason: str
) -> None:
    with pytest.raises(BadRequest, match=reason):
        await github.rerun_failed_jobs("acme/payments", run_id)

    assert github_sim.writes() == []
    assert {r.method for r in github_sim.requests} == {"GET"}


async def test_github_validation_errors_are_bad_requests(
    github: GitHubClient, github_sim: GitHubSimulator
) -> None:
    with pytest.raises(BadRequest, match="title"):
        await github.create_issue("acme/payments", "  ", "body")
    with pytest.raises(BadRequest, match="empty"):
        await github.comment("acme/payments", 42, "   ")

    assert github_sim.requests == []


async def test_the_repository_allowlist_is_checked_before_any_request(
    scoped_github: GitHubClient, github_sim: GitHubSimulator
) -> None:
    attempts = [
        scoped_github.create_issue("acme/secrets", "x", ""),
        scoped_github.comment("other/repo", 1, "x"),
        scoped_github.rerun_failed_jobs("acme/secrets", 1),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied, match="not one of the repositories"):
            await attempt

    assert github_sim.requests == []


async def test_a_post_that_may_have_reached_github_is_not_retried(
    github: GitHubClient, github_sim: GitHubSimulator, sleeps: SleepRecorder
) -> None:
    github_sim.fail_next(502)

    with pytest.raises(Unavailable):
        await github.create_issue("acme/payments", "Once only", "")

    assert len(github_sim.requests) == 1
    assert sleeps.calls == []


async def test_a_secondary_limit_on_a_post_is_waited_out_and_written_once(
    github: GitHubClient, github_sim: GitHubSimulator, sleeps: SleepRecorder
) -> None:
    github_sim.secondary_limit_next(retry_after=3)

    await github.comment("acme/payments", 40, "Once only")

    assert sleeps.calls == [3.0]
    assert len(github_sim.writes()) == 1
