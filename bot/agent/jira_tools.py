"""The agent's Jira read tools: one issue, search (paged), count, transitions, projects.

Every JQL the model writes goes through the client, which validates it and scopes it to the
configured projects before any request; results carry the JQL actually run so the answer can
show it.
"""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import BaseModel, Field, field_validator

from bot.agent.tools import Arguments, ToolSpec, count, short
from integrations.jira.models import JiraIssue, JiraProject, JiraSearchResult, JiraTransition

_JQL_EXAMPLE = 'project = OPS AND status = "In Progress" ORDER BY updated DESC'


class JiraReader(Protocol):
    """Read access to Jira, as the agent's tools need it."""

    async def get_issue(self, key: str) -> JiraIssue: ...

    async def search(
        self, jql: str, limit: int = 20, *, page_token: str | None = None
    ) -> JiraSearchResult: ...

    async def count(self, jql: str) -> int: ...

    async def transitions(self, key: str) -> list[JiraTransition]: ...

    async def projects(self) -> list[JiraProject]: ...

    def scoped_jql(self, jql: str) -> str: ...


class JiraIssueArgs(Arguments):
    key: str = Field(
        pattern=r"^[A-Za-z][A-Za-z0-9_]{0,9}-[0-9]{1,9}$",
        description="A Jira issue key such as OPS-2.",
    )

    @field_validator("key")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()


class JiraSearchArgs(Arguments):
    jql: str = Field(min_length=1, max_length=500, description=f"A JQL query, e.g. {_JQL_EXAMPLE}.")
    limit: int = Field(default=10, ge=1, le=25, description="How many issues to return at most.")
    page_token: str | None = Field(
        default=None,
        max_length=500,
        description="next_page_token from an earlier jira_search with the same JQL, for the next page.",
    )


class JiraCountArgs(Arguments):
    jql: str = Field(min_length=1, max_length=500, description=f"A JQL query, e.g. {_JQL_EXAMPLE}.")


class JiraNoArgs(Arguments):
    pass


class JiraCount(BaseModel):
    jql: str  # the JQL actually counted (scoped to the allowed projects)
    count: int


class JiraTransitions(BaseModel):
    key: str
    transitions: list[JiraTransition]


class JiraProjects(BaseModel):
    projects: list[JiraProject]


def jira_specs(jira: JiraReader) -> list[ToolSpec[Any, Any]]:
    async def get_issue(args: JiraIssueArgs) -> JiraIssue:
        return await jira.get_issue(args.key)

    async def search(args: JiraSearchArgs) -> JiraSearchResult:
        return await jira.search(args.jql, args.limit, page_token=args.page_token)

    async def count_issues(args: JiraCountArgs) -> JiraCount:
        jql = jira.scoped_jql(args.jql)
        return JiraCount(jql=jql, count=await jira.count(args.jql))

    async def transitions(args: JiraIssueArgs) -> JiraTransitions:
        return JiraTransitions(key=args.key, transitions=await jira.transitions(args.key))

    async def projects(args: JiraNoArgs) -> JiraProjects:
        return JiraProjects(projects=await jira.projects())

    return [
        ToolSpec(
            name="jira_get_issue",
            service="jira",
            description=(
                "Get one Jira issue by key: summary, status, assignee, description, links, "
                "sub-tasks, sprint, fix versions and recent comments."
            ),
            arguments=JiraIssueArgs,
            call=get_issue,
            describe_call=lambda args: f"Jira: {args.key}",
            describe_result=lambda issue: f"{issue.key} · {issue.status}",
        ),
        ToolSpec(
            name="jira_search",
            service="jira",
            description=(
                "Search Jira issues with JQL; returns keys, summaries, statuses, the JQL actually run "
                "and next_page_token when there are more."
            ),
            arguments=JiraSearchArgs,
            call=search,
            describe_call=lambda args: f"Jira search: {short(args.jql)}",
            describe_result=lambda result: count(len(result.issues), "issue"),
        ),
        ToolSpec(
            name="jira_count",
            service="jira",
            description="Count Jira issues matching JQL (approximate on Jira Cloud), for how-many questions.",
            arguments=JiraCountArgs,
            call=count_issues,
            describe_call=lambda args: f"Jira count: {short(args.jql)}",
            describe_result=lambda result: count(result.count, "issue"),
        ),
        ToolSpec(
            name="jira_transitions",
            service="jira",
            description="List the workflow transitions available on a Jira issue now (read only).",
            arguments=JiraIssueArgs,
            call=transitions,
            describe_call=lambda args: f"Jira transitions: {args.key}",
            describe_result=lambda result: count(len(result.transitions), "transition"),
        ),
        ToolSpec(
            name="jira_projects",
            service="jira",
            description="List the Jira projects the bot may read (key and name).",
            arguments=JiraNoArgs,
            call=projects,
            describe_call=lambda args: "Jira projects",
            describe_result=lambda result: count(len(result.projects), "project"),
        ),
    ]
