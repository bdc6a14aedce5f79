"""GitHub Actions through the client: runs, jobs with failed steps, and the tail of a job's log."""

from __future__ import annotations

import pytest

from integrations.errors import BadRequest, NotFound
from integrations.github import GitHubClient
from integrations.github.log_tail import read_tail
from integrations.http import build_http_client
from simulators.github import GitHubSimulator
from tests.integrations.conftest import GITHUB_TOKEN, SleepRecorder

HEAD_SHA = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
FAILED_JOB = 9100423


async def test_runs_of_a_branch(github: GitHubClient, github_sim: GitHubSimulator) -> None:
    runs = await github.workflow_runs("acme/payments", branch="fix/idempotency-retry")

    (run,) = runs.items
    assert (run.id, run.name, run.status, run.conclusion) == (6100421, "CI", "completed", "failure")
    assert (run.branch, run.head_sha, run.event) == ("fix/idempotency-retry", HEAD_SHA, "pull_request")
    assert run.url == "https://github.com/acme/payments/actions/runs/6100421"
    assert github_sim.requests[0].query == {"per_page": "10", "branch": "fix/idempotency-retry"}


async def test_runs_of_a_pull_requests_head_commit(github: GitHubClient) -> None:
    runs = await github.workflow_runs("acme/payments", head_sha=HEAD_SHA, limit=3)

    assert [run.id for run in runs.items] == [6100421]


async def test_recent_runs_newest_first_within_the_limit(github: GitHubClient) -> None:
    runs = await github.workflow_runs("acme/payments", limit=2)

    assert runs.total_count == 3
    assert [run.id for run in runs.items] == [6100441, 6100421]


@pytest.mark.parametrize(("branch", "sha"), [("a b", None), (None, "not-a-sha"), ("x..y", None)])
async def test_run_filters_are_checked_locally(
    github: GitHubClient, github_sim: GitHubSimulator, branch: str | None, sha: str | None
) -> None:
    with pytest.raises(BadRequest):
        await github.workflow_runs("acme/payments", branch=branch, head_sha=sha)

    assert github_sim.requests == []


async def test_jobs_of_a_failed_run_name_the_failed_step(github: GitHubClient) -> None:
    jobs = await github.run_jobs("acme/payments", 6100421)

    assert [job.name for job in jobs.items] == ["unit-tests", "lint", "integration-tests"]
    (failed,) = jobs.failed
    assert (failed.id, failed.failed_steps) == (FAILED_JOB, ["Run integration tests"])
    assert failed.url.endswith(f"/actions/runs/6100421/job/{FAILED_JOB}")


async def test_log_tail_follows_the_redirect_without_our_token(
    github: GitHubClient, github_sim: GitHubSimulator
) -> None:
    log = await github.job_log_tail("acme/payments", FAILED_JOB, lines=5)

    assert [line.split(" ", 1)[1] for line in log.lines] == [
        "tests/integration/test_retries.py:88: AssertionError",
        "=========================== short test summary info ============================",
        "FAILED tests/integration/test_retries.py::test_retry_after_provider_timeout - AssertionError: "
        "expected 1 charge for order 1001, found 2",
        "================== 1 failed, 56 passed in 736.41s (0:12:16) ==================",
        "##[error]Process completed with exit code 1.",
    ]
    assert not log.truncated
    api, blob = github_sim.requests
    assert api.path == f"/repos/acme/payments/actions/jobs/{FAILED_JOB}/logs"
    assert api.auth_scheme == "Bearer"
    assert blob.path == f"/_logs/acme/payments/jobs/{FAILED_JOB}"
    assert "Authorization" not in blob.headers  # the signed URL is its own credential
    assert blob.headers["User-Agent"].startswith("chatops-bot/")


async def test_the_tail_of_a_long_log_costs_only_a_bounded_read(sleeps: SleepRecorder) -> None:
    async with GitHubSimulator(log_preamble_lines=20_000) as sim:  # about a megabyte of log
        async with GitHubClient.create(sim.url, token=GITHUB_TOKEN, sleep=sleeps) as github:
            whole = await github.job_log_tail("acme/payments", FAILED_JOB, lines=2)
        plain = build_http_client(service="github", base_url=sim.url, headers={}, sleep=sleeps)
        async with plain:
            redirect = await plain.get(
                f"/repos/acme/payments/actions/jobs/{FAILED_JOB}/logs",
                headers={"Authorization": f"Bearer {GITHUB_TOKEN}"},
                follow_redirects=False,
            )
            capped, truncated = await read_tail(
                plain, redirect.headers["Location"], lines=2, max_bytes=100_000
            )

    assert whole.lines[-1].endswith("##[error]Process completed with exit code 1.")
    assert not whole.truncated
    assert truncated
    assert all("Setup step" in line for line in capped)  # reading stopped long before the end


async def test_log_of_an_unknown_job_is_not_found_or_no_access(github: GitHubClient) -> None:
    with pytest.raises(NotFound, match="log of job 1 not found or no access"):
        await github.job_log_tail("acme/payments", 1)
