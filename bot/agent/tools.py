"""The agent's typed read tools over Jira and GitHub, and the registry that lists them.

Each tool has a pydantic argument model (``extra="forbid"``, constrained; its JSON schema is what
the LLM sees), calls a reader Protocol that ``integrations/`` implements, and hands the model the
result serialised as JSON inside an untrusted-data fence. Upstream errors become a short failed
tool result the model can read, not a crash. Every tool here is ``side_effect="read"``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_ai import RunContext, Tool
from pydantic_ai.exceptions import ModelRetry, ToolFailed

from bot.agent.untrusted import fence
from integrations.errors import (
    NotFound,
    PermissionDenied,
    RateLimited,
    Unavailable,
    UpstreamError,
)
from integrations.github.models import GitHubIssue, PullRequest, SearchResult
from integrations.jira.models import JiraIssue, JiraSearchResult

Service = Literal["jira", "github"]
SideEffect = Literal["read", "write"]


class JiraReader(Protocol):
    """Read access to Jira, as the agent's tools need it."""

    async def get_issue(self, key: str) -> JiraIssue: ...

    async def search(self, jql: str, limit: int = 20) -> JiraSearchResult: ...


class GitHubReader(Protocol):
    """Read access to GitHub, as the agent's tools need it."""

    async def get_pull_request(self, repo: str, number: int) -> PullRequest: ...

    async def get_issue(self, repo: str, number: int) -> GitHubIssue: ...

    async def search_issues(self, query: str, limit: int = 10) -> SearchResult: ...


# -- argument models (their JSON schema is the tool's parameter schema) ----------------------


class _Arguments(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class JiraIssueArgs(_Arguments):
    key: str = Field(
        pattern=r"^[A-Za-z][A-Za-z0-9_]{0,9}-[0-9]{1,9}$",
        description="A Jira issue key such as OPS-2.",
    )

    @field_validator("key")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()


class JiraSearchArgs(_Arguments):
    jql: str = Field(
        min_length=1, max_length=500, description="A JQL query, e.g. project = OPS AND status = Blocked."
    )
    limit: int = Field(default=10, ge=1, le=25, description="How many issues to return at most.")


class GitHubNumberArgs(_Arguments):
    repo: str = Field(
        pattern=r"^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$",
        description="The repository as owner/name, e.g. acme/payments.",
    )
    number: int = Field(ge=1, le=1_000_000_000, description="The pull request or issue number.")


class GitHubSearchArgs(_Arguments):
    query: str = Field(
        min_length=1,
        max_length=256,
        description="GitHub issue/PR search text, e.g. repo:acme/payments is:open retry.",
    )
    limit: int = Field(default=10, ge=1, le=25, description="How many results to return at most.")


# -- the registry ----------------------------------------------------------------------------

A = TypeVar("A", bound=BaseModel)
R = TypeVar("R", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class ToolSpec(Generic[A, R]):
    """One tool: what the model sees (name, description, argument schema) and how it runs."""

    name: str
    service: Service
    description: str
    arguments: type[A]
    call: Callable[[A], Awaitable[R]]
    describe_call: Callable[[A], str]  # e.g. "Jira: OPS-2"
    describe_result: Callable[[R], str]  # e.g. "OPS-2 · Blocked"
    side_effect: SideEffect = "read"

    def summarize_call(self, arguments: Mapping[str, Any]) -> str:
        """A short human text for the call, even when its arguments are invalid."""
        try:
            return self.describe_call(self.arguments.model_validate(arguments))
        except ValidationError:
            return f"{_LABELS[self.service]}: invalid arguments"


@dataclass(frozen=True, slots=True)
class ToolInfo:
    """What the registry says about a tool, without a client behind it."""

    name: str
    service: Service
    side_effect: SideEffect


_LABELS: dict[Service, str] = {"jira": "Jira", "github": "GitHub"}

TOOL_REGISTRY: tuple[ToolInfo, ...] = (
    ToolInfo("jira_get_issue", "jira", "read"),
    ToolInfo("jira_search", "jira", "read"),
    ToolInfo("github_get_pull_request", "github", "read"),
    ToolInfo("github_get_issue", "github", "read"),
    ToolInfo("github_search", "github", "read"),
)


def tool_specs(jira: JiraReader | None, github: GitHubReader | None) -> list[ToolSpec[Any, Any]]:
    """The tools whose client is configured, in registry order."""
    specs: list[ToolSpec[Any, Any]] = []
    if jira is not None:
        specs += _jira_specs(jira)
    if github is not None:
        specs += _github_specs(github)
    return specs


def _jira_specs(jira: JiraReader) -> list[ToolSpec[Any, Any]]:
    async def get_issue(args: JiraIssueArgs) -> JiraIssue:
        return await jira.get_issue(args.key)

    async def search(args: JiraSearchArgs) -> JiraSearchResult:
        return await jira.search(args.jql, args.limit)

    return [
        ToolSpec(
            name="jira_get_issue",
            service="jira",
            description="Get one Jira issue by key: summary, status, assignee, description, links, comments.",
            arguments=JiraIssueArgs,
            call=get_issue,
            describe_call=lambda args: f"Jira: {args.key}",
            describe_result=lambda issue: f"{issue.key} · {issue.status}",
        ),
        ToolSpec(
            name="jira_search",
            service="jira",
            description="Search Jira issues with JQL; returns keys, summaries and statuses.",
            arguments=JiraSearchArgs,
            call=search,
            describe_call=lambda args: f"Jira search: {_short(args.jql)}",
            describe_result=lambda result: _count(len(result.issues), "issue"),
        ),
    ]


def _github_specs(github: GitHubReader) -> list[ToolSpec[Any, Any]]:
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
            describe_call=lambda args: f"GitHub search: {_short(args.query)}",
            describe_result=lambda result: _count(len(result.items), "result"),
        ),
    ]


def _describe_pull_request(pr: PullRequest) -> str:
    state = "merged" if pr.merged else pr.state
    failing = sum(1 for check in pr.checks if check.conclusion in ("failure", "timed_out", "cancelled"))
    checks = f" · {_count(failing, 'failing check')}" if failing else ""
    return f"{pr.repo}#{pr.number} · {state}{checks}"


def _short(text: str, limit: int = 48) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


# -- adapting a spec to pydantic-ai ----------------------------------------------------------


@dataclass(slots=True)
class ToolNotes:
    """Per-run notes the tools leave for the runner: a short outcome summary per tool call id."""

    summaries: dict[str, str] = field(default_factory=dict)


def as_agent_tool(spec: ToolSpec[Any, Any], *, output_chars: int) -> Tool[ToolNotes]:
    """A pydantic-ai tool that validates, calls, fences and truncates, recording a summary."""

    async def run(ctx: RunContext[ToolNotes], **raw: Any) -> str:
        call_id = ctx.tool_call_id or ""
        try:
            arguments = spec.arguments.model_validate(raw)
        except ValidationError as exc:
            ctx.deps.summaries[call_id] = "invalid arguments"
            raise ModelRetry(f"Invalid arguments for {spec.name}: {_validation_summary(exc)}") from None
        try:
            result = await spec.call(arguments)
        except UpstreamError as exc:
            ctx.deps.summaries[call_id] = _error_label(exc)
            detail = fence(exc.message, source=spec.service, tool=spec.name, limit=300)
            raise ToolFailed(f"{spec.name} failed ({_error_label(exc)}).\n{detail}") from None
        ctx.deps.summaries[call_id] = spec.describe_result(result)
        return fence(result.model_dump_json(), source=spec.service, tool=spec.name, limit=output_chars)

    schema = spec.arguments.model_json_schema()
    schema.pop("title", None)
    return Tool[ToolNotes].from_schema(
        run, name=spec.name, description=spec.description, json_schema=schema, takes_ctx=True
    )


def _validation_summary(exc: ValidationError) -> str:
    problems = [
        f"{'.'.join(str(part) for part in error['loc']) or 'arguments'}: {error['msg']}"
        for error in exc.errors()
    ]
    return "; ".join(problems[:5])


def _error_label(exc: UpstreamError) -> str:
    if isinstance(exc, NotFound):
        return "not found"
    if isinstance(exc, PermissionDenied):
        return "permission denied"
    if isinstance(exc, RateLimited):
        return "rate limited"
    if isinstance(exc, Unavailable):
        return "unavailable"
    return "request rejected"
