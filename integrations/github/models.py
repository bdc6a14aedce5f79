"""What the bot keeps of GitHub's payloads: small and flat, ready for a card or the agent."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

ReviewState = Literal["approved", "changes_requested", "review_required", "none"]
CiState = Literal["passing", "failing", "pending", "none"]


class CheckRun(BaseModel):
    name: str
    status: str  # queued, in_progress, completed, ...
    conclusion: str | None = None  # success, failure, ... (None until completed)
    url: str = ""


class CommitStatus(BaseModel):
    """A commit status (the older API some CI systems still use), next to check runs."""

    context: str
    state: str  # error, failure, pending, success
    description: str = ""
    url: str = ""


class Review(BaseModel):
    """A reviewer's latest standing review."""

    reviewer: str
    state: str  # APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED
    submitted_at: str = ""


class CiSummary(BaseModel):
    """ "Is it green?": check runs and commit statuses of the head commit, together."""

    state: CiState = "none"
    failing: list[str] = Field(default_factory=list)  # names of failed checks / statuses
    pending: list[str] = Field(default_factory=list)
    passed: int = 0
    total: int = 0

    @property
    def text(self) -> str:
        """One line: "passing (4 checks)", "failing: integration-tests", "pending: lint"."""
        if self.state == "failing":
            return "failing: " + ", ".join(self.failing)
        if self.state == "pending":
            return "pending: " + ", ".join(self.pending)
        if self.state == "passing":
            return f"passing ({self.total} check{'s' if self.total != 1 else ''})"
        return "no checks"


class FilesSummary(BaseModel):
    changed_files: int = 0
    additions: int = 0
    deletions: int = 0
    names: list[str] = Field(default_factory=list)  # the first few


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
    mergeable: bool | None = None  # None while GitHub is still computing it
    mergeable_state: str = ""  # clean, blocked, unstable, dirty, behind, unknown ...
    body: str = ""  # truncated
    requested_reviewers: list[str] = Field(default_factory=list)
    requested_teams: list[str] = Field(default_factory=list)
    reviews: list[Review] = Field(default_factory=list)  # latest standing review per reviewer
    review_state: ReviewState = "none"
    labels: list[str] = Field(default_factory=list)
    created_at: str = ""
    updated_at: str = ""
    checks: list[CheckRun] = Field(default_factory=list)  # check runs of the head commit
    statuses: list[CommitStatus] = Field(default_factory=list)  # commit statuses of the head commit
    ci: CiSummary = Field(default_factory=CiSummary)
    files: FilesSummary = Field(default_factory=FilesSummary)


class PullSummary(BaseModel):
    """A pull request as a list shows it (no reviews or checks: those cost a request each)."""

    repo: str
    number: int
    url: str
    title: str
    state: str
    draft: bool = False
    author: str = ""
    base: str = ""
    head: str = ""
    requested_reviewers: list[str] = Field(default_factory=list)
    requested_teams: list[str] = Field(default_factory=list)
    labels: list[str] = Field(default_factory=list)
    created_at: str = ""
    updated_at: str = ""

    @property
    def awaiting_review(self) -> bool:
        return (
            self.state == "open" and not self.draft and bool(self.requested_reviewers or self.requested_teams)
        )


class PullRequestList(BaseModel):
    repo: str
    state: str
    items: list[PullSummary] = Field(default_factory=list)


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
    query: str  # as sent, with any repository scope the bot added
    total_count: int = 0
    items: list[SearchHit] = Field(default_factory=list)


class CommitSummary(BaseModel):
    sha: str
    message: str  # first line
    author: str = ""
    date: str = ""
    url: str = ""


class Commit(CommitSummary):
    """One commit read on its own: the repository it is in, and the files it changed."""

    repo: str  # owner/name
    files: FilesSummary = Field(default_factory=FilesSummary)


class Comparison(BaseModel):
    repo: str
    base: str
    head: str
    url: str
    status: str  # ahead, behind, diverged, identical
    ahead_by: int = 0
    behind_by: int = 0
    total_commits: int = 0
    commits: list[CommitSummary] = Field(default_factory=list)  # the newest few
    files: FilesSummary = Field(default_factory=FilesSummary)


class WorkflowRun(BaseModel):
    id: int
    name: str
    title: str = ""  # display_title: the commit or PR title
    status: str = ""  # queued, in_progress, completed ...
    conclusion: str | None = None
    branch: str = ""
    head_sha: str = ""
    event: str = ""
    url: str = ""
    run_number: int = 0
    run_attempt: int = 1
    created_at: str = ""


class Repository(BaseModel):
    repo: str  # owner/name
    url: str
    default_branch: str


class WorkflowRunList(BaseModel):
    repo: str
    total_count: int = 0
    items: list[WorkflowRun] = Field(default_factory=list)


class Job(BaseModel):
    id: int
    run_id: int = 0
    name: str
    status: str = ""
    conclusion: str | None = None
    url: str = ""
    started_at: str = ""
    completed_at: str = ""
    failed_steps: list[str] = Field(default_factory=list)


class JobList(BaseModel):
    repo: str
    run_id: int
    items: list[Job] = Field(default_factory=list)

    @property
    def failed(self) -> list[Job]:
        return [job for job in self.items if job.conclusion in FAILED_CONCLUSIONS]


class JobLog(BaseModel):
    repo: str
    job_id: int
    lines: list[str] = Field(default_factory=list)  # the last lines, oldest first
    truncated: bool = False  # the log was longer than the bot reads; lines end where reading stopped


FAILED_CONCLUSIONS = frozenset({"failure", "timed_out", "cancelled", "action_required", "startup_failure"})


# -- results of writes: what changed, with a link a person can open ------------------------------


class GitHubCreatedIssue(BaseModel):
    repo: str
    number: int
    url: str  # html_url of the new issue


class GitHubCommentAdded(BaseModel):
    repo: str
    number: int  # the issue or pull request commented on
    comment_id: int
    url: str  # html_url of the comment


class GitHubRerunRequested(BaseModel):
    repo: str
    run_id: int
    url: str  # html_url of the workflow run
