"""GitHub REST payloads as they arrive (the parts we read), validated at the edge.

Shapes follow API version 2022-11-28; nothing here reads ``assignee`` or
``merge_commit_sha``, which version 2026-03-10 removes.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


def _as_text(value: object) -> str:
    return "" if value is None else str(value)


Text = Annotated[str, BeforeValidator(_as_text)]


class WireModel(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Account(WireModel):
    login: Text = ""


class Label(WireModel):
    name: Text = ""


class Team(WireModel):
    slug: Text = ""
    name: Text = ""


class Ref(WireModel):
    ref: Text = ""
    sha: Text = ""


class PullRequest(WireModel):
    number: int
    html_url: Text = ""
    title: Text = ""
    state: Text = ""
    merged: bool = False
    merged_at: str | None = None
    draft: bool = False
    user: Account | None = None
    body: Text = ""
    base: Ref = Field(default_factory=Ref)
    head: Ref = Field(default_factory=Ref)
    mergeable: bool | None = None
    mergeable_state: Text = ""
    requested_reviewers: list[Account] = Field(default_factory=list)
    requested_teams: list[Team] = Field(default_factory=list)
    labels: list[Label] = Field(default_factory=list)
    created_at: Text = ""
    updated_at: Text = ""
    # Only on a single pull request, not in list items.
    changed_files: int = 0
    additions: int = 0
    deletions: int = 0


class Review(WireModel):
    user: Account | None = None
    state: Text = ""  # APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED, PENDING
    submitted_at: Text = ""


class PullFile(WireModel):
    filename: Text = ""
    status: Text = ""
    additions: int = 0
    deletions: int = 0


class Status(WireModel):
    context: Text = ""
    state: Text = ""  # error, failure, pending, success
    description: Text = ""
    target_url: Text = ""


class CombinedStatus(WireModel):
    state: Text = ""
    total_count: int = 0
    statuses: list[Status] = Field(default_factory=list)


class CheckRun(WireModel):
    name: Text = ""
    status: Text = ""
    conclusion: str | None = None
    html_url: Text = ""


class CheckRunPage(WireModel):
    total_count: int = 0
    check_runs: list[CheckRun] = Field(default_factory=list)


class Issue(WireModel):
    number: int
    html_url: Text = ""
    repository_url: Text = ""
    title: Text = ""
    state: Text = ""
    user: Account | None = None
    assignees: list[Account] = Field(default_factory=list)
    labels: list[Label] = Field(default_factory=list)
    comments: int = 0
    pull_request: dict[str, object] | None = None
    body: Text = ""
    created_at: Text = ""
    updated_at: Text = ""


class SearchPage(WireModel):
    total_count: int = 0
    incomplete_results: bool = False
    items: list[Issue] = Field(default_factory=list)


class GitPerson(WireModel):
    name: Text = ""
    date: Text = ""


class GitCommit(WireModel):
    message: Text = ""
    author: GitPerson | None = None


class CommitStats(WireModel):
    additions: int = 0
    deletions: int = 0


class Commit(WireModel):
    sha: Text = ""
    html_url: Text = ""
    commit: GitCommit = Field(default_factory=GitCommit)
    author: Account | None = None
    stats: CommitStats | None = None  # only when one commit is read, not in a comparison's list
    files: list[PullFile] = Field(default_factory=list)


class Comparison(WireModel):
    html_url: Text = ""
    status: Text = ""
    ahead_by: int = 0
    behind_by: int = 0
    total_commits: int = 0
    commits: list[Commit] = Field(default_factory=list)
    files: list[PullFile] = Field(default_factory=list)


class WorkflowRun(WireModel):
    id: int
    name: Text = ""
    display_title: Text = ""
    status: Text = ""
    conclusion: str | None = None
    head_branch: Text = ""
    head_sha: Text = ""
    event: Text = ""
    html_url: Text = ""
    run_number: int = 0
    run_attempt: int = 1
    created_at: Text = ""
    updated_at: Text = ""


class WorkflowRunPage(WireModel):
    total_count: int = 0
    workflow_runs: list[WorkflowRun] = Field(default_factory=list)


class Step(WireModel):
    name: Text = ""
    status: Text = ""
    conclusion: str | None = None
    number: int = 0


class Job(WireModel):
    id: int
    run_id: int = 0
    name: Text = ""
    status: Text = ""
    conclusion: str | None = None
    html_url: Text = ""
    started_at: Text = ""
    completed_at: Text = ""
    steps: list[Step] = Field(default_factory=list)


class JobPage(WireModel):
    total_count: int = 0
    jobs: list[Job] = Field(default_factory=list)


class Repository(WireModel):
    full_name: Text = ""
    html_url: Text = ""
    default_branch: Text = ""


class AccessToken(WireModel):
    token: str
    expires_at: str


class IssueComment(WireModel):
    id: int
    html_url: Text = ""


class RateLimitResource(WireModel):
    limit: int = 0
    remaining: int = 0
    reset: int = 0


class RateLimitResources(WireModel):
    core: RateLimitResource = Field(default_factory=RateLimitResource)


class RateLimitStatus(WireModel):
    resources: RateLimitResources = Field(default_factory=RateLimitResources)
