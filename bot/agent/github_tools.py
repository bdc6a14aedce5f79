"""The agent's GitHub read tools."""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import Field

from bot.agent.tools import Arguments, ToolSpec, count, short
from integrations.github.models import GitHubIssue, PullRequest, SearchResult


class GitHubReader(Protocol):
    """Read access to GitHub, as the agent's tools need it."""

    async def get_pull_request(self, repo: str, number: int) -> PullRequest: ...

    async def get_issue(self, repo: str, number: int) -> GitHubIssue: ...

    async def search_issues(self, query: str, limit: int = 10) -> SearchResult: ...


class GitHubNumberArgs(Arguments):
    repo: str = Field(
        pattern=r"^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$",
        description="The repository as owner/name, e.g. acme/payments.",
    )
    number: int = Field(ge=1, le=1_000_000_000, description="The pull request or issue number.")


class GitHubSearchArgs(Arguments):
    query: str = Field(
        min_length=1,
        max_length=256,
        description="GitHub issue/PR search text, e.g. repo:acme/payments is:open retry.",
    )
    limit: int = Field(default=10, ge=1, le=25, description="How many results to return at most.")


def github_specs(github: GitHubReader) -> list[ToolSpec[Any, Any]]:
    async def get_pull_request(args: GitHubNumberArgs) -> PullRequest:
        return await github.get_pull_request(args.repo, args.number)

    async def get_issue(args: GitHubNumberArgs) -> GitHubIssue:
        return await github.get_issue(args.repo, args.number)

    async def search(args: GitHubSearchArgs) -> SearchResult:
        return await github.search_issues(args.query, args.limit)

    return [
        ToolSpec(
            name="github_get_pull_request",
            service="github",
            description="Get a GitHub pull request: state, author, reviewers, checks of its head commit.",
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
    ]


def _describe_pull_request(pr: PullRequest) -> str:
    state = "merged" if pr.merged else pr.state
    failing = sum(1 for check in pr.checks if check.conclusion in ("failure", "timed_out", "cancelled"))
    checks = f" · {count(failing, 'failing check')}" if failing else ""
    return f"{pr.repo}#{pr.number} · {state}{checks}"
