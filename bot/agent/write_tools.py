"""The agent's write tools: Jira create/comment/transition/assign, GitHub issue/comment/re-run.

A write never runs inside the agent loop. The agent *proposes* one (its arguments validated by
the tool's pydantic model); the approval flow shows ``preview(args)`` — exactly what will be
sent — and only after the asker approves calls ``execute(args, idempotency_key)`` once.
``target(args)`` names the project or repository the write touches, for permission checks.

Neither Jira nor GitHub accepts an idempotency key on these endpoints, so the key is the bot's:
the approval store keeps it and makes sure ``execute`` runs once per key. The clients never
retry a POST that may have reached the server (``integrations.retry``), so one ``execute``
is at most one write upstream.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Generic, Literal, Protocol, TypeVar

from pydantic import BaseModel, Field, StringConstraints, ValidationError, field_validator

from bot.agent.tools import Arguments, Service, short
from integrations.github.models import GitHubCommentAdded, GitHubCreatedIssue, GitHubRerunRequested
from integrations.jira.models import JiraAssigned, JiraCommentAdded, JiraCreatedIssue, JiraTransitioned

log = logging.getLogger(__name__)

A = TypeVar("A", bound=BaseModel)
R = TypeVar("R", bound=BaseModel)

Priority = Literal["Highest", "High", "Medium", "Low", "Lowest"]
# Where a write goes: ours, or a tool of a team's MCP server (``bot.agent.mcp.writes``).
WriteService = Service | Literal["mcp"]
_SERVICE_LABELS: dict[str, str] = {"jira": "Jira", "github": "GitHub", "mcp": "MCP"}

_KEY = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,9}-[0-9]{1,9}$", description="A Jira issue key such as OPS-2.")
_REPO = Field(
    pattern=r"^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$",
    description="The repository as owner/name, e.g. acme/payments.",
)
_LABEL = r"^[A-Za-z0-9_.:-]{1,50}$"  # Jira refuses labels with spaces; GitHub's are kept as simple
_ACCOUNT = r"^[A-Za-z0-9:._@-]{1,128}$"
Label = Annotated[str, StringConstraints(pattern=_LABEL)]


@dataclass(frozen=True, slots=True)
class WriteTarget:
    """Where a write lands, for per-user/per-channel permissions: a project key or owner/repo."""

    service: WriteService
    scope: str  # "OPS" for Jira, "acme/payments" for GitHub, the server's name for MCP


@dataclass(frozen=True, slots=True)
class WriteToolSpec(Generic[A, R]):
    """One write tool. Unlike a read ``ToolSpec`` it has no ``call``: only ``execute`` after approval."""

    name: str
    service: WriteService
    description: str
    arguments: type[A]
    preview: Callable[[A], str]  # exactly what will be sent, as plain text (not yet escaped for Slack)
    execute: Callable[[A, str], Awaitable[R]]  # (arguments, idempotency key) -> the result, with a link
    target: Callable[[A], WriteTarget]
    describe_call: Callable[[A], str]  # e.g. "Jira: create issue in OPS"
    describe_result: Callable[[R], str]  # e.g. "Created OPS-37"
    # Whether the target is inside the allowlists (JIRA_PROJECTS, GITHUB_REPOS): outside them a write
    # is not even proposed, so nobody is asked to approve what the client would refuse anyway.
    permits: Callable[[WriteTarget], bool] = lambda _target: True
    side_effect: Literal["write"] = "write"
    requires_approval: Literal[True] = True

    def validate(self, arguments: Mapping[str, Any]) -> A:
        """The arguments as the tool's model; raises pydantic's ValidationError when invalid."""
        return self.arguments.model_validate(arguments)

    def refusal(self, arguments: Mapping[str, Any]) -> str | None:
        """Why this call may not be proposed here (its target is outside the allowlists), or None."""
        try:
            target = self.target(self.validate(arguments))
        except ValidationError:
            return None  # the arguments' own check says what is wrong
        if self.permits(target):
            return None
        kind = "projects" if target.service == "jira" else "repositories"
        return (
            f"{target.scope} is outside the {kind} this bot may change, so {self.name} cannot be proposed; "
            "tell the person instead."
        )

    def summarize_call(self, arguments: Mapping[str, Any]) -> str:
        """A short human text for the proposal, even when its arguments are invalid."""
        try:
            return self.describe_call(self.validate(arguments))
        except ValidationError:
            return f"{_SERVICE_LABELS[self.service]}: invalid write arguments"


# -- the clients, as the write tools need them -----------------------------------------------


class JiraWriter(Protocol):
    async def create_issue(
        self,
        project: str,
        issue_type: str,
        summary: str,
        description_markdown: str,
        *,
        priority: str | None = None,
        labels: tuple[str, ...] | list[str] = (),
        assignee_account_id: str | None = None,
    ) -> JiraCreatedIssue: ...

    async def add_comment(self, key: str, markdown: str) -> JiraCommentAdded: ...

    async def transition(self, key: str, transition: str) -> JiraTransitioned: ...

    async def assign(self, key: str, assignee: str) -> JiraAssigned: ...

    @property
    def projects_allowed(self) -> tuple[str, ...]:
        """JIRA_PROJECTS (upper-case keys); empty means every project."""
        ...


class GitHubWriter(Protocol):
    async def create_issue(
        self, repo: str, title: str, body: str, labels: tuple[str, ...] | list[str] = ()
    ) -> GitHubCreatedIssue: ...

    async def comment(self, repo: str, number: int, body: str) -> GitHubCommentAdded: ...

    async def rerun_failed_jobs(self, repo: str, run_id: int) -> GitHubRerunRequested: ...

    def allows_repo(self, repo: str) -> bool:
        """Whether ``repo`` is inside GITHUB_REPOS."""
        ...


# -- argument models (their JSON schema is what the LLM sees) --------------------------------


class _JiraKeyed(Arguments):
    key: str = _KEY

    @field_validator("key")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()


class JiraCreateIssueArgs(Arguments):
    project: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{1,9}$", description="The project key, e.g. OPS.")
    issue_type: str = Field(
        default="Task",
        pattern=r"^[A-Za-z][A-Za-z -]{0,39}$",
        description="The issue type name: Task, Bug, Story, Epic ...",
    )
    summary: str = Field(min_length=1, max_length=255, pattern=r"^[^\r\n]+$", description="One line.")
    description: str = Field(default="", max_length=10_000, description="The body, in Markdown.")
    priority: Priority | None = Field(default=None, description="Leave out for the project's default.")
    labels: list[Label] = Field(default_factory=list, max_length=10, description="Labels without spaces.")
    assignee_account_id: str | None = Field(
        default=None,
        pattern=_ACCOUNT,
        description="Account id (Jira Cloud) or user name (Data Center); leave out for unassigned.",
    )

    @field_validator("project")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

    @field_validator("labels")
    @classmethod
    def _labels(cls, value: list[str]) -> list[str]:
        return _checked_labels(value)


class JiraAddCommentArgs(_JiraKeyed):
    body: str = Field(min_length=1, max_length=10_000, description="The comment, in Markdown.")


class JiraTransitionArgs(_JiraKeyed):
    transition: str = Field(
        min_length=1,
        max_length=60,
        description="A transition id or name from jira_transitions (e.g. 21 or Start progress), "
        "or the status it leads to.",
    )


class JiraAssignArgs(_JiraKeyed):
    assignee: str = Field(pattern=_ACCOUNT, description="Account id (Jira Cloud) or user name (Data Center).")


class GitHubCreateIssueArgs(Arguments):
    repo: str = _REPO
    title: str = Field(min_length=1, max_length=256, pattern=r"^[^\r\n]+$", description="One line.")
    body: str = Field(default="", max_length=20_000, description="The body, in Markdown.")
    labels: list[Label] = Field(default_factory=list, max_length=10, description="Label names.")

    @field_validator("labels")
    @classmethod
    def _labels(cls, value: list[str]) -> list[str]:
        return _checked_labels(value)


class GitHubCommentArgs(Arguments):
    repo: str = _REPO
    number: int = Field(ge=1, le=1_000_000_000, description="The issue or pull request number.")
    body: str = Field(min_length=1, max_length=20_000, description="The comment, in Markdown.")


class GitHubRerunArgs(Arguments):
    repo: str = _REPO
    run_id: int = Field(ge=1, description="The workflow run id (from github_workflow_runs).")


def _checked_labels(labels: list[str]) -> list[str]:
    return list(dict.fromkeys(labels))  # keep order, drop repeats


# -- previews: exactly what will be sent -----------------------------------------------------


def preview_jira_create(args: JiraCreateIssueArgs) -> str:
    lines = [
        f"Create a Jira issue in {args.project}",
        f"Type: {args.issue_type}",
        f"Priority: {args.priority or '(project default)'}",
        f"Labels: {', '.join(args.labels) if args.labels else '(none)'}",
        f"Assignee: {args.assignee_account_id or '(unassigned)'}",
        f"Summary: {args.summary}",
        "Description:",
        args.description or "(empty)",
    ]
    return "\n".join(lines)


def preview_jira_comment(args: JiraAddCommentArgs) -> str:
    return f"Comment on Jira issue {args.key}:\n{args.body}"


def preview_jira_transition(args: JiraTransitionArgs) -> str:
    return f"Transition Jira issue {args.key}: {args.transition}"


def preview_jira_assign(args: JiraAssignArgs) -> str:
    return f"Assign Jira issue {args.key} to {args.assignee}"


def preview_github_issue(args: GitHubCreateIssueArgs) -> str:
    lines = [
        f"Create a GitHub issue in {args.repo}",
        f"Labels: {', '.join(args.labels) if args.labels else '(none)'}",
        f"Title: {args.title}",
        "Body:",
        args.body or "(empty)",
    ]
    return "\n".join(lines)


def preview_github_comment(args: GitHubCommentArgs) -> str:
    return f"Comment on {args.repo}#{args.number}:\n{args.body}"


def preview_github_rerun(args: GitHubRerunArgs) -> str:
    return f"Re-run the failed jobs of workflow run {args.run_id} in {args.repo}"


def _project_of(key: str) -> str:
    return key.rsplit("-", 1)[0].upper()


# -- the specs -------------------------------------------------------------------------------


def jira_write_specs(jira: JiraWriter) -> list[WriteToolSpec[Any, Any]]:
    def in_projects(target: WriteTarget) -> bool:
        return not jira.projects_allowed or target.scope.upper() in jira.projects_allowed

    async def create(args: JiraCreateIssueArgs, idempotency_key: str) -> JiraCreatedIssue:
        _log_write("jira_create_issue", idempotency_key)
        return await jira.create_issue(
            args.project,
            args.issue_type,
            args.summary,
            args.description,
            priority=args.priority,
            labels=tuple(args.labels),
            assignee_account_id=args.assignee_account_id,
        )

    async def comment(args: JiraAddCommentArgs, idempotency_key: str) -> JiraCommentAdded:
        _log_write("jira_add_comment", idempotency_key)
        return await jira.add_comment(args.key, args.body)

    async def transition(args: JiraTransitionArgs, idempotency_key: str) -> JiraTransitioned:
        _log_write("jira_transition", idempotency_key)
        return await jira.transition(args.key, args.transition)

    async def assign(args: JiraAssignArgs, idempotency_key: str) -> JiraAssigned:
        _log_write("jira_assign", idempotency_key)
        return await jira.assign(args.key, args.assignee)

    return [
        WriteToolSpec(
            name="jira_create_issue",
            service="jira",
            description=(
                "Propose creating a Jira issue (project, type, summary, Markdown description, optional "
                "priority, labels, assignee). Nothing is created until the person who asked approves."
            ),
            arguments=JiraCreateIssueArgs,
            preview=preview_jira_create,
            execute=create,
            target=lambda args: WriteTarget("jira", args.project),
            permits=in_projects,
            describe_call=lambda args: f"Jira: create issue in {args.project}",
            describe_result=lambda result: f"Created {result.key}",
        ),
        WriteToolSpec(
            name="jira_add_comment",
            service="jira",
            description=(
                "Propose adding a comment (Markdown) to a Jira issue. Nothing is posted until the person "
                "who asked approves."
            ),
            arguments=JiraAddCommentArgs,
            preview=preview_jira_comment,
            execute=comment,
            target=lambda args: WriteTarget("jira", _project_of(args.key)),
            permits=in_projects,
            describe_call=lambda args: f"Jira: comment on {args.key}",
            describe_result=lambda result: f"Commented on {result.key}",
        ),
        WriteToolSpec(
            name="jira_transition",
            service="jira",
            description=(
                "Propose moving a Jira issue through a workflow transition (id or name from "
                "jira_transitions). Nothing changes until the person who asked approves."
            ),
            arguments=JiraTransitionArgs,
            preview=preview_jira_transition,
            execute=transition,
            target=lambda args: WriteTarget("jira", _project_of(args.key)),
            permits=in_projects,
            describe_call=lambda args: f"Jira: {args.key} → {short(args.transition, 30)}",
            describe_result=lambda result: f"{result.key} → {result.to_status}",
        ),
        WriteToolSpec(
            name="jira_assign",
            service="jira",
            description=(
                "Propose assigning a Jira issue to someone (account id on Cloud, user name on Data "
                "Center). Nothing changes until the person who asked approves."
            ),
            arguments=JiraAssignArgs,
            preview=preview_jira_assign,
            execute=assign,
            target=lambda args: WriteTarget("jira", _project_of(args.key)),
            permits=in_projects,
            describe_call=lambda args: f"Jira: assign {args.key}",
            describe_result=lambda result: f"Assigned {result.key} to {result.assignee}",
        ),
    ]


def github_write_specs(github: GitHubWriter) -> list[WriteToolSpec[Any, Any]]:
    def in_repos(target: WriteTarget) -> bool:
        return github.allows_repo(target.scope)

    async def create(args: GitHubCreateIssueArgs, idempotency_key: str) -> GitHubCreatedIssue:
        _log_write("github_create_issue", idempotency_key)
        return await github.create_issue(args.repo, args.title, args.body, tuple(args.labels))

    async def comment(args: GitHubCommentArgs, idempotency_key: str) -> GitHubCommentAdded:
        _log_write("github_comment", idempotency_key)
        return await github.comment(args.repo, args.number, args.body)

    async def rerun(args: GitHubRerunArgs, idempotency_key: str) -> GitHubRerunRequested:
        _log_write("github_rerun_failed_jobs", idempotency_key)
        return await github.rerun_failed_jobs(args.repo, args.run_id)

    return [
        WriteToolSpec(
            name="github_create_issue",
            service="github",
            description=(
                "Propose opening a GitHub issue (title, Markdown body, labels). Nothing is created until "
                "the person who asked approves."
            ),
            arguments=GitHubCreateIssueArgs,
            preview=preview_github_issue,
            execute=create,
            target=lambda args: WriteTarget("github", args.repo.lower()),
            permits=in_repos,
            describe_call=lambda args: f"GitHub: open issue in {args.repo}",
            describe_result=lambda result: f"Created {result.repo}#{result.number}",
        ),
        WriteToolSpec(
            name="github_comment",
            service="github",
            description=(
                "Propose commenting (Markdown) on a GitHub issue or pull request. Nothing is posted until "
                "the person who asked approves."
            ),
            arguments=GitHubCommentArgs,
            preview=preview_github_comment,
            execute=comment,
            target=lambda args: WriteTarget("github", args.repo.lower()),
            permits=in_repos,
            describe_call=lambda args: f"GitHub: comment on {args.repo}#{args.number}",
            describe_result=lambda result: f"Commented on {result.repo}#{result.number}",
        ),
        WriteToolSpec(
            name="github_rerun_failed_jobs",
            service="github",
            description=(
                "Propose re-running the failed jobs of a GitHub Actions workflow run. Nothing runs until "
                "the person who asked approves."
            ),
            arguments=GitHubRerunArgs,
            preview=preview_github_rerun,
            execute=rerun,
            target=lambda args: WriteTarget("github", args.repo.lower()),
            permits=in_repos,
            describe_call=lambda args: f"GitHub: re-run failed jobs of run {args.run_id}",
            describe_result=lambda result: f"Re-running failed jobs of run {result.run_id}",
        ),
    ]


def write_specs(jira: JiraWriter | None, github: GitHubWriter | None) -> list[WriteToolSpec[Any, Any]]:
    """The write tools whose client is configured, in ``WRITE_TOOL_REGISTRY`` order."""
    return [*(jira_write_specs(jira) if jira else []), *(github_write_specs(github) if github else [])]


def _log_write(tool: str, idempotency_key: str) -> None:
    # The key ties the upstream write to its approval in the logs; it is not a secret.
    log.info("executing approved write %s (idempotency key %s)", tool, idempotency_key)
