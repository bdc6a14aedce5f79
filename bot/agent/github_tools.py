"""The agent's GitHub read tools: a PR with reviews and CI, an issue, search, PR lists, compare, Actions.

Each tool maps onto one GitHubClient call, which enforces the repository allowlist before any
request; search queries come back with the scope the client added (``SearchResult.query``).
"""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import BaseModel, Field

from bot.agent.tools import Arguments, ToolSpec, count, short
from integrations.github.models import (
    Comparison,
    GitHubIssue,
    JobList,
    JobLog,
    PullRequest,
    PullRequestList,
    SearchResult,
    WorkflowRunList,
)

_REPO = Field(
    pattern=r"^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$",
    description="The repository as owner/name, e.g. acme/payments.",
)
_REF_PATTERN = r"^[A-Za-z0-9._/-]{1,200}$"


class GitHubReader(Protocol):
    """Read access to GitHub, as the agent's tools need it."""

    async def get_pull_request(self, repo: str, number: int) -> PullRequest: ...

    async def get_issue(self, repo: str, number: int) -> GitHubIssue: ...

    async def search_issues(self, query: str, limit: int = 10) -> SearchResult: ...

    async def list_pull_requests(
        self, repo: str, *, state: str = "open", limit: int = 20
    ) -> PullRequestList: ...

    async def compare(self, repo: str, base: str, head: str) -> Comparison: ...

    async def workflow_runs(
        self, repo: str, *, branch: str | None = None, head_sha: str | None = None, limit: int = 10
    ) -> WorkflowRunList: ...

    async def run_jobs(self, repo: str, run_id: int) -> JobList: ...

    async def job_log_tail(self, repo: str, job_id: int, *, lines: int = 40) -> JobLog: ...


class GitHubNumberArgs(Arguments):
    repo: str = _REPO
    number: int = Field(ge=1, le=1_000_000_000, description="The pull request or issue number.")


class GitHubSearchArgs(Arguments):
    query: str = Field(
        min_length=1,
        max_length=256,
        description="GitHub issue/PR search text, e.g. repo:acme/payments is:open retry.",
    )
    limit: int = Field(default=10, ge=1, le=25, description="How many results to return at most.")


class GitHubPullListArgs(Arguments):
    repo: str = _REPO
    state: str = Field(default="open", pattern=r"^(open|closed|all)$", description="open, closed or all.")
    limit: int = Field(default=20, ge=1, le=50, description="How many pull requests at most, newest first.")


class GitHubCompareArgs(Arguments):
    repo: str = _REPO
    base: str = Field(pattern=_REF_PATTERN, description="The base branch, tag or commit, e.g. main.")
    head: str = Field(pattern=_REF_PATTERN, description="The branch, tag or commit compared with base.")


class GitHubRunsArgs(Arguments):
    repo: str = _REPO
    branch: str | None = Field(default=None, pattern=_REF_PATTERN, description="Only runs on this branch.")
    head_sha: str | None = Field(
        default=None,
        pattern=r"^[0-9a-fA-F]{7,40}$",
        description="Only runs for this commit (a PR's head_sha).",
    )
    run_id: int | None = Field(
        default=None,
        ge=1,
        description="A run id from an earlier call: list that run's jobs and failed steps.",
    )
    limit: int = Field(default=5, ge=1, le=20, description="How many runs at most, newest first.")


class GitHubJobLogArgs(Arguments):
    repo: str = _REPO
    job_id: int = Field(ge=1, description="The job id (from github_workflow_runs with run_id).")
    lines: int = Field(default=40, ge=5, le=200, description="How many of the last log lines to return.")


class RunsOrJobs(BaseModel):
    """Either the runs asked for, or the jobs of one run."""

    runs: WorkflowRunList | None = None
    jobs: JobList | None = None


def github_specs(github: GitHubReader) -> list[ToolSpec[Any, Any]]:
    async def get_pull_request(args: GitHubNumberArgs) -> PullRequest:
        return await github.get_pull_request(args.repo, args.number)

    async def get_issue(args: GitHubNumberArgs) -> GitHubIssue:
        return await github.get_issue(args.repo, args.number)

    async def search(args: GitHubSearchArgs) -> SearchResult:
        return await github.search_issues(args.query, args.limit)

    async def list_pulls(args: GitHubPullListArgs) -> PullRequestList:
        return await github.list_pull_requests(args.repo, state=args.state, limit=args.limit)

    async def compare(args: GitHubCompareArgs) -> Comparison:
        return await github.compare(args.repo, args.base, args.head)

    async def runs(args: GitHubRunsArgs) -> RunsOrJobs:
        if args.run_id is not None:
            return RunsOrJobs(jobs=await github.run_jobs(args.repo, args.run_id))
        found = await github.workflow_runs(
            args.repo, branch=args.branch, head_sha=args.head_sha, limit=args.limit
        )
        return RunsOrJobs(runs=found)

    async def job_log(args: GitHubJobLogArgs) -> JobLog:
        return await github.job_log_tail(args.repo, args.job_id, lines=args.lines)

    return [
        ToolSpec(
            name="github_get_pull_request",
            service="github",
            description=(
                "Get a GitHub pull request: state, author, review state and reviews, requested reviewers, "
                "mergeability, CI (check runs and commit statuses: passing / failing with names / pending), "
                "files changed."
            ),
            arguments=GitHubNumberArgs,
            call=get_pull_request,
            describe_call=lambda args: f"GitHub: {args.repo}#{args.number}",
            describe_result=_describe_pull_request,
        ),
        ToolSpec(
            name="github_get_issue",
            service="github",
            description="Get one GitHub issue: title, state, author, labels, body.",
            arguments=GitHubNumberArgs,
            call=get_issue,
            describe_call=lambda args: f"GitHub issue: {args.repo}#{args.number}",
            describe_result=lambda issue: f"{issue.repo}#{issue.number} · {issue.state}",
        ),
        ToolSpec(
            name="github_search",
            service="github",
            description="Search GitHub issues and pull requests (GitHub search syntax).",
            arguments=GitHubSearchArgs,
            call=search,
            describe_call=lambda args: f"GitHub search: {short(args.query)}",
            describe_result=lambda result: count(len(result.items), "result"),
        ),
        ToolSpec(
            name="github_list_pull_requests",
            service="github",
            description=(
                "List a repository's pull requests, newest first, with requested reviewers; "
                "use it for 'which PRs need review?'."
            ),
            arguments=GitHubPullListArgs,
            call=list_pulls,
            describe_call=lambda args: f"GitHub PRs: {args.repo} ({args.state})",
            describe_result=_describe_pull_list,
        ),
        ToolSpec(
            name="github_compare",
            service="github",
            description="Compare two branches, tags or commits: ahead/behind, newest commits, files changed.",
            arguments=GitHubCompareArgs,
            call=compare,
            describe_call=lambda args: (
                f"GitHub compare: {args.repo} {short(args.base, 24)}...{short(args.head, 24)}"
            ),
            describe_result=lambda c: (
                f"{c.status} · {count(c.ahead_by, 'commit')} ahead, {c.behind_by} behind"
            ),
        ),
        ToolSpec(
            name="github_workflow_runs",
            service="github",
            description=(
                "GitHub Actions: recent workflow runs of a repository (optionally for a branch or a PR's "
                "head_sha), or with run_id the jobs of one run and their failed steps."
            ),
            arguments=GitHubRunsArgs,
            call=runs,
            describe_call=_describe_runs_call,
            describe_result=_describe_runs,
        ),
        ToolSpec(
            name="github_job_log",
            service="github",
            description="The last lines of a GitHub Actions job's log, to see why it failed.",
            arguments=GitHubJobLogArgs,
            call=job_log,
            describe_call=lambda args: f"GitHub job log: {args.repo} job {args.job_id}",
            describe_result=lambda log: count(len(log.lines), "line"),
        ),
    ]


def _describe_pull_request(pr: PullRequest) -> str:
    state = "merged" if pr.merged else pr.state
    failing = len(pr.ci.failing)
    checks = f" · {count(failing, 'failing check')}" if failing else ""
    return f"{pr.repo}#{pr.number} · {state}{checks}"


def _describe_pull_list(pulls: PullRequestList) -> str:
    waiting = sum(1 for pull in pulls.items if pull.awaiting_review)
    return f"{count(len(pulls.items), 'pull request')} · {waiting} awaiting review"


def _describe_runs_call(args: GitHubRunsArgs) -> str:
    if args.run_id is not None:
        return f"GitHub Actions: jobs of run {args.run_id}"
    where = args.branch or (args.head_sha[:7] if args.head_sha else args.repo)
    return f"GitHub Actions: runs for {short(where, 32)}"


def _describe_runs(result: RunsOrJobs) -> str:
    if result.jobs is not None:
        return f"{count(len(result.jobs.items), 'job')} · {len(result.jobs.failed)} failed"
    runs = result.runs.items if result.runs is not None else []
    return count(len(runs), "run")
