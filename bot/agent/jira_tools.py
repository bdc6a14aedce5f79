"""The agent's Jira read tools."""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import Field, field_validator

from bot.agent.tools import Arguments, ToolSpec, count, short
from integrations.jira.models import JiraIssue, JiraSearchResult


class JiraReader(Protocol):
    """Read access to Jira, as the agent's tools need it."""

    async def get_issue(self, key: str) -> JiraIssue: ...

    async def search(self, jql: str, limit: int = 20) -> JiraSearchResult: ...


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
    jql: str = Field(
        min_length=1, max_length=500, description="A JQL query, e.g. project = OPS AND status = Blocked."
    )
    limit: int = Field(default=10, ge=1, le=25, description="How many issues to return at most.")


def jira_specs(jira: JiraReader) -> list[ToolSpec[Any, Any]]:
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
            describe_call=lambda args: f"Jira search: {short(args.jql)}",
            describe_result=lambda result: count(len(result.issues), "issue"),
        ),
    ]
