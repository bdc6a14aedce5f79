"""What the bot keeps of Jira's payloads: small, flat, already rendered to Markdown text.

One shape for Cloud (REST v3, ADF) and Data Center (REST v2, wiki markup): text fields are
Markdown (``**bold**``, ``_em_``, `` `code` ``, fenced code, ``[label](url)``, ``•`` bullets,
tables as ``a | b`` lines), not yet escaped for Slack — the bot escapes at the edge.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class JiraIssueLink(BaseModel):
    relation: str  # e.g. "is blocked by", "blocks", "relates to"
    key: str
    summary: str = ""  # empty when the other issue is outside the allowed projects
    status: str = ""


class JiraSubtask(BaseModel):
    key: str
    summary: str = ""
    status: str = ""


class JiraSprint(BaseModel):
    name: str
    state: str = ""  # active | closed | future (lower case on both editions)


class JiraComment(BaseModel):
    author: str
    created: str
    body: str  # Markdown


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
    description: str = ""  # Markdown
    links: list[JiraIssueLink] = Field(default_factory=list)
    subtasks: list[JiraSubtask] = Field(default_factory=list)
    parent: str | None = None  # the parent issue's key, for a sub-task
    sprint: JiraSprint | None = None  # the active sprint, else the latest one
    fix_versions: list[str] = Field(default_factory=list)
    comments: list[JiraComment] = Field(default_factory=list)  # the most recent ones, oldest first
    comment_total: int = 0


class JiraSearchHit(BaseModel):
    key: str
    url: str
    summary: str
    status: str
    assignee: str | None = None
    priority: str = ""
    issue_type: str = ""
    updated: str = ""


class JiraSearchResult(BaseModel):
    jql: str  # the JQL actually sent: validated and scoped to the allowed projects
    issues: list[JiraSearchHit] = Field(default_factory=list)
    is_last: bool = True
    next_page_token: str | None = None  # pass back to ``search`` for the next page
    total: int | None = None  # Data Center only; Cloud's enhanced search has no total


class JiraTransition(BaseModel):
    id: str
    name: str  # the workflow action, e.g. "Start progress"
    to_status: str  # the status it leads to, e.g. "In Progress"


class JiraProject(BaseModel):
    key: str
    name: str
    url: str = ""  # browse URL of the project


class JiraUser(BaseModel):
    id: str  # what ``assign`` takes: the account id (Cloud) or the user name (Data Center)
    display_name: str = ""
    email: str = ""  # empty when the person's privacy settings hide it
    name: str = ""  # the Data Center user name; Cloud has none


# -- results of writes: what changed, with a link a person can open ------------------------------


class JiraCreatedIssue(BaseModel):
    key: str
    url: str  # browse URL of the new issue
    id: str = ""


class JiraCommentAdded(BaseModel):
    key: str
    comment_id: str
    url: str  # browse URL that focuses the comment


class JiraTransitioned(BaseModel):
    key: str
    url: str
    transition_id: str
    transition: str  # the workflow action performed, e.g. "Start progress"
    to_status: str  # the status the issue is in now


class JiraAssigned(BaseModel):
    key: str
    url: str
    assignee: str  # the account id (Cloud) or user name (Data Center) sent
