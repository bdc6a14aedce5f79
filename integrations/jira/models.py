"""What the bot keeps of Jira's payloads: small, flat, already rendered to text."""

from __future__ import annotations

from pydantic import BaseModel, Field


class JiraIssueLink(BaseModel):
    relation: str  # e.g. "is blocked by", "blocks", "relates to"
    key: str
    summary: str = ""
    status: str = ""


class JiraComment(BaseModel):
    author: str
    created: str
    body: str  # ADF rendered to plain text


class JiraIssue(BaseModel):
    key: str
    url: str  # browse URL, e.g. https://site.atlassian.net/browse/OPS-2
    summary: str
    status: str
    issue_type: str = ""
    priority: str = ""
    assignee: str | None = None
    reporter: str | None = None
    labels: list[str] = Field(default_factory=list)
    created: str = ""
    updated: str = ""
    description: str = ""  # ADF rendered to plain text
    links: list[JiraIssueLink] = Field(default_factory=list)
    comments: list[JiraComment] = Field(default_factory=list)


class JiraSearchHit(BaseModel):
    key: str
    url: str
    summary: str
    status: str
    assignee: str | None = None
    priority: str = ""
    updated: str = ""


class JiraSearchResult(BaseModel):
    jql: str
    issues: list[JiraSearchHit] = Field(default_factory=list)
    is_last: bool = True
