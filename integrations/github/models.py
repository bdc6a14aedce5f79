"""What the bot keeps of GitHub's payloads: small and flat."""

from __future__ import annotations

from pydantic import BaseModel, Field


class CheckRun(BaseModel):
    name: str
    status: str  # queued, in_progress, completed, ...
    conclusion: str | None = None  # success, failure, ... (None until completed)
    url: str = ""


class PullRequest(BaseModel):
    repo: str  # owner/name
    number: int
    url: str  # html_url
    title: str
    state: str  # open / closed
    merged: bool = False
    draft: bool = False
    author: str = ""
    base: str = ""
    head: str = ""
    head_sha: str = ""
    mergeable: bool | None = None
    body: str = ""  # truncated
    requested_reviewers: list[str] = Field(default_factory=list)
    labels: list[str] = Field(default_factory=list)
    created_at: str = ""
    updated_at: str = ""
    checks: list[CheckRun] = Field(default_factory=list)  # check runs of the head commit


class GitHubIssue(BaseModel):
    repo: str
    number: int
    url: str
    title: str
    state: str
    author: str = ""
    assignees: list[str] = Field(default_factory=list)
    labels: list[str] = Field(default_factory=list)
    comments: int = 0
    is_pull_request: bool = False
    body: str = ""  # truncated
    created_at: str = ""
    updated_at: str = ""


class SearchHit(BaseModel):
    repo: str
    number: int
    url: str
    title: str
    state: str
    is_pull_request: bool = False
    author: str = ""
    updated_at: str = ""


class SearchResult(BaseModel):
    query: str
    total_count: int = 0
    items: list[SearchHit] = Field(default_factory=list)
