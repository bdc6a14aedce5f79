"""Read access to GitHub: pull requests with reviews and CI, issues, search, commits, compare, Actions.

One client for github.com and GitHub Enterprise (``base_url`` = ``GITHUB_API_URL``), with a
personal access token (``create``) or as a GitHub App installation (``create_for_app``).
Every request pins ``X-GitHub-Api-Version``; lists follow ``Link: rel="next"`` (never built page
URLs); GETs are conditional through an ETag cache (a 304 costs no quota); retries and rate
limits are the transport's (integrations.retry). The repository allowlist is checked before
anything is sent. GitHub answers 404 both for what does not exist and for what the token may
not see, so a 404 is reported as "not found or no access".

Writes (open an issue, comment, re-run failed jobs) are allowlist-checked the same way. GitHub
takes no idempotency key on them: a POST that may have reached GitHub is never retried
(``integrations.retry``), and the bot's approval store keeps the key that makes one approval
one write.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Collection
from types import TracebackType
from typing import Any, TypeVar

import httpx
from pydantic import SecretStr, ValidationError

from integrations.errors import BadRequest, NotFound, Unavailable
from integrations.etag_cache import ETagCache
from integrations.github import wire
from integrations.github.app_auth import InstallationAuth, InstallationTokens, load_private_key
from integrations.github.log_tail import read_tail
from integrations.github.models import (
    FAILED_CONCLUSIONS,
    CheckRun,
    Commit,
    CommitStatus,
    CommitSummary,
    Comparison,
    FilesSummary,
    GitHubCommentAdded,
    GitHubCreatedIssue,
    GitHubIssue,
    GitHubRerunRequested,
    Job,
    JobList,
    JobLog,
    PullRequest,
    PullRequestList,
    PullSummary,
    Repository,
    SearchHit,
    SearchResult,
    WorkflowRun,
    WorkflowRunList,
)
from integrations.github.rollup import ci_summary, latest_reviews, review_state
from integrations.github.scope import RepoScope
from integrations.github.search_limiter import SearchLimiter
from integrations.http import build_http_client, decode_json, send
from integrations.retry import Sleep

SERVICE = "github"
DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
USER_AGENT = "chatops-bot/0.1 (+github)"
BODY_CHARS = 4000
MAX_SEARCH_RESULTS = 100
MAX_PER_PAGE = 100
MAX_PAGES = 10  # a guard against a Link chain that never ends
MAX_CHECK_RUNS = 300
MAX_REVIEWS = 300
FILE_NAMES = 10
COMMITS_KEPT = 20
MAX_LOG_LINES = 200
API_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION}

_REPO = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
_REF = re.compile(r"^[A-Za-z0-9._/-]{1,200}$")
_SHA = re.compile(r"^[0-9a-fA-F]{7,40}$")

M = TypeVar("M", bound=wire.WireModel)


def split_repo(repo: str) -> tuple[str, str]:
    """``"acme/payments"`` -> ``("acme", "payments")``; anything else raises BadRequest."""
    candidate = repo.strip()
    if not _REPO.match(candidate) or candidate.endswith(("/.", "/..")):
        raise BadRequest(SERVICE, f"not a repository: {repo[:80]!r} (expected owner/name)")
    owner, name = candidate.split("/")
    return owner, name


def _check_number(number: int) -> int:
    if number < 1:
        raise BadRequest(SERVICE, f"not an issue or pull request number: {number}")
    return number


def _check_ref(ref: str) -> str:
    candidate = ref.strip()
    if not _REF.match(candidate) or ".." in candidate or candidate.startswith(("-", "/")):
        raise BadRequest(SERVICE, f"not a branch, tag or commit: {ref[:80]!r}")
    return candidate


def _truncate(text: str) -> str:
    return text if len(text) <= BODY_CHARS else text[: BODY_CHARS - 1] + "…"


class GitHubClient:
    """github.com or GitHub Enterprise, over an injected ``httpx.AsyncClient``.

    ``plain`` is a client without our credentials, for signed URLs GitHub redirects to (job logs).
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        repos: Collection[str] | None = None,
        plain: httpx.AsyncClient | None = None,
        search_limiter: SearchLimiter | None = None,
        tokens: InstallationTokens | None = None,
    ) -> None:
        self._http = http
        self._plain = plain
        self._scope = RepoScope(repos)
        self._search_limiter = search_limiter or SearchLimiter()
        self._tokens = tokens

    def allows_repo(self, repo: str) -> bool:
        """Whether ``repo`` (owner/name) is inside GITHUB_REPOS (everything, when that is empty)."""
        return self._scope.allows(repo)

    @classmethod
    def create(
        cls,
        base_url: str = DEFAULT_API_URL,
        *,
        token: str | SecretStr,
        repos: Collection[str] | None = None,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        search_limiter: SearchLimiter | None = None,
    ) -> GitHubClient:
        """A client authenticated with a personal access token (classic or fine-grained)."""
        secret = token.get_secret_value() if isinstance(token, SecretStr) else token
        headers = {**API_HEADERS, "Authorization": f"Bearer {secret}", "User-Agent": USER_AGENT}
        url = base_url.rstrip("/")
        http = build_http_client(
            service=SERVICE,
            base_url=url,
            headers=headers,
            timeout=timeout,
            transport=transport,
            sleep=sleep,
            cache=ETagCache(),
        )
        plain = _plain_client(url, timeout=timeout, transport=transport, sleep=sleep)
        return cls(http, repos=repos, plain=plain, search_limiter=search_limiter)

    @classmethod
    def create_for_app(
        cls,
        base_url: str = DEFAULT_API_URL,
        *,
        app_id: str | int,
        private_key: str | SecretStr,
        installation_id: str | int,
        repos: Collection[str] | None = None,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.time,
        search_limiter: SearchLimiter | None = None,
    ) -> GitHubClient:
        """A client acting as a GitHub App installation; ``private_key`` is PEM text or a PEM file path.

        Raises ValueError (without repeating the value) when the key cannot be loaded.
        """
        key_text = private_key.get_secret_value() if isinstance(private_key, SecretStr) else private_key
        url = base_url.rstrip("/")
        plain = _plain_client(url, timeout=timeout, transport=transport, sleep=sleep)
        tokens = InstallationTokens(
            plain,
            app_id=str(app_id),
            private_key=load_private_key(key_text),
            installation_id=str(installation_id),
            api_headers=dict(API_HEADERS),
            clock=clock,
        )
        http = build_http_client(
            service=SERVICE,
            base_url=url,
            headers={**API_HEADERS, "User-Agent": USER_AGENT},
            auth=InstallationAuth(tokens),
            timeout=timeout,
            transport=transport,
            sleep=sleep,
            cache=ETagCache(),
        )
        return cls(http, repos=repos, plain=plain, search_limiter=search_limiter, tokens=tokens)

    async def aclose(self) -> None:
        await self._http.aclose()
        if self._plain is not None:
            await self._plain.aclose()

    async def __aenter__(self) -> GitHubClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    # -- identity ----------------------------------------------------------------------------

    async def viewer(self) -> str:
        """Who the bot is on GitHub; a cheap auth and reachability check."""
        if self._tokens is not None:
            await self._tokens.token()  # minting proves the app id, key and installation
            return f"GitHub App installation {self._tokens.installation_id}"
        return _parse(wire.Account, await self._get("/user", what="the token's user")).login

    async def rate_limit(self) -> tuple[int, int, int]:
        """The core API's (remaining, limit, reset as epoch seconds); GitHub does not count this call."""
        status = _parse(wire.RateLimitStatus, await self._get("/rate_limit", what="the rate limit"))
        return status.resources.core.remaining, status.resources.core.limit, status.resources.core.reset

    # -- repositories ------------------------------------------------------------------------

    async def repository(self, repo: str) -> Repository:
        """A repository's address and default branch (where "CI on main" is read)."""
        owner, name = self._allowed(repo)
        body = _parse(wire.Repository, await self._get(f"/repos/{owner}/{name}", what=f"{owner}/{name}"))
        return Repository(
            repo=body.full_name or f"{owner}/{name}", url=body.html_url, default_branch=body.default_branch
        )

    # -- pull requests and issues ------------------------------------------------------------

    async def get_pull_request(self, repo: str, number: int) -> PullRequest:
        """A pull request with its reviews, CI (check runs + commit statuses) and changed files."""
        owner, name = self._allowed(repo)
        ref = f"{owner}/{name}#{_check_number(number)}"
        base = f"/repos/{owner}/{name}/pulls/{number}"
        pull = _parse(wire.PullRequest, await self._get(base, what=f"pull request {ref}"))
        reviews, files, checks, statuses = await asyncio.gather(
            self._collect(f"{base}/reviews", {"per_page": MAX_PER_PAGE}, limit=MAX_REVIEWS, what=ref),
            self._get(f"{base}/files", {"per_page": FILE_NAMES}, what=f"files of {ref}"),
            self._check_runs(owner, name, pull.head.sha),
            self._statuses(owner, name, pull.head.sha),
        )
        standing = latest_reviews(
            (r.user.login if r.user else "", r.state, r.submitted_at)
            for r in (_parse(wire.Review, raw) for raw in reviews)
        )
        requested = [account.login for account in pull.requested_reviewers]
        teams = [team.slug or team.name for team in pull.requested_teams]
        return PullRequest(
            repo=f"{owner}/{name}",
            number=pull.number,
            url=pull.html_url,
            title=pull.title,
            state=pull.state,
            merged=pull.merged or pull.merged_at is not None,
            draft=pull.draft,
            author=pull.user.login if pull.user else "",
            base=pull.base.ref,
            head=pull.head.ref,
            head_sha=pull.head.sha,
            mergeable=pull.mergeable,
            mergeable_state=pull.mergeable_state,
            body=_truncate(pull.body),
            requested_reviewers=requested,
            requested_teams=teams,
            reviews=standing,
            review_state=review_state(standing, requested=len(requested) + len(teams)),
            labels=[label.name for label in pull.labels],
            created_at=pull.created_at,
            updated_at=pull.updated_at,
            checks=checks,
            statuses=statuses,
            ci=ci_summary(checks, statuses),
            files=FilesSummary(
                changed_files=pull.changed_files,
                additions=pull.additions,
                deletions=pull.deletions,
                names=[_parse(wire.PullFile, raw).filename for raw in _as_list(files)][:FILE_NAMES],
            ),
        )

    async def list_pull_requests(self, repo: str, *, state: str = "open", limit: int = 20) -> PullRequestList:
        """Pull requests, newest first; ``PullSummary.awaiting_review`` marks those waiting on a reviewer."""
        owner, name = self._allowed(repo)
        if state not in ("open", "closed", "all"):
            raise BadRequest(SERVICE, f"state must be open, closed or all (got {state[:20]!r})")
        wanted = max(1, min(limit, MAX_PER_PAGE * MAX_PAGES))
        params: dict[str, str | int] = {"state": state, "per_page": min(wanted, MAX_PER_PAGE)}
        raw = await self._collect(
            f"/repos/{owner}/{name}/pulls", params, limit=wanted, what=f"{owner}/{name}"
        )
        pulls = [_parse(wire.PullRequest, item) for item in raw]
        return PullRequestList(
            repo=f"{owner}/{name}",
            state=state,
            items=[_pull_summary(f"{owner}/{name}", pull) for pull in pulls],
        )

    async def get_issue(self, repo: str, number: int) -> GitHubIssue:
        """An issue; pull requests are issues too (``is_pull_request``)."""
        owner, name = self._allowed(repo)
        path = f"/repos/{owner}/{name}/issues/{_check_number(number)}"
        issue = _parse(wire.Issue, await self._get(path, what=f"issue {owner}/{name}#{number}"))
        return GitHubIssue(
            repo=f"{owner}/{name}",
            number=issue.number,
            url=issue.html_url,
            title=issue.title,
            state=issue.state,
            author=issue.user.login if issue.user else "",
            assignees=[account.login for account in issue.assignees],
            labels=[label.name for label in issue.labels],
            comments=issue.comments,
            is_pull_request=issue.pull_request is not None,
            body=_truncate(issue.body),
            created_at=issue.created_at,
            updated_at=issue.updated_at,
        )

    async def search_issues(self, query: str, limit: int = 10) -> SearchResult:
        """Issues and pull requests matching a GitHub search query, kept inside the allowed repos."""
        if not query.strip():
            raise BadRequest(SERVICE, "the search query is empty")
        scoped = self._scope.scope_query(query.strip())
        per_page = max(1, min(limit, MAX_SEARCH_RESULTS))
        await self._search_limiter.acquire()
        params: dict[str, str | int] = {"q": scoped, "per_page": per_page}
        page = _parse(wire.SearchPage, await self._get("/search/issues", params, what="search"))
        return SearchResult(
            query=scoped,
            total_count=page.total_count,
            items=[_hit(item) for item in page.items[:per_page]],
        )

    # -- commits -----------------------------------------------------------------------------

    async def get_commit(self, repo: str, ref: str) -> Commit:
        """One commit (a SHA, full or short, or a branch's newest): message, author, files changed."""
        owner, name = self._allowed(repo)
        ref = _check_ref(ref)
        path = f"/repos/{owner}/{name}/commits/{ref}"
        body = _parse(wire.Commit, await self._get(path, what=f"commit {owner}/{name}@{ref}"))
        # The schema makes stats optional; without them, the files listed still give the counts.
        stats = body.stats or wire.CommitStats(
            additions=sum(entry.additions for entry in body.files),
            deletions=sum(entry.deletions for entry in body.files),
        )
        return Commit(
            repo=f"{owner}/{name}",
            **_commit(body).model_dump(),
            files=FilesSummary(
                changed_files=len(body.files),
                additions=stats.additions,
                deletions=stats.deletions,
                names=[entry.filename for entry in body.files[:FILE_NAMES]],
            ),
        )

    async def compare(self, repo: str, base: str, head: str) -> Comparison:
        """How ``head`` differs from ``base``: ahead/behind, the newest commits, the files touched."""
        owner, name = self._allowed(repo)
        base, head = _check_ref(base), _check_ref(head)
        path = f"/repos/{owner}/{name}/compare/{base}...{head}"
        body = _parse(wire.Comparison, await self._get(path, what=f"{base}...{head} in {owner}/{name}"))
        return Comparison(
            repo=f"{owner}/{name}",
            base=base,
            head=head,
            url=body.html_url,
            status=body.status,
            ahead_by=body.ahead_by,
            behind_by=body.behind_by,
            total_commits=body.total_commits,
            commits=[_commit(commit) for commit in body.commits[-COMMITS_KEPT:]],
            files=FilesSummary(
                changed_files=len(body.files),
                additions=sum(entry.additions for entry in body.files),
                deletions=sum(entry.deletions for entry in body.files),
                names=[entry.filename for entry in body.files[:FILE_NAMES]],
            ),
        )

    # -- Actions -----------------------------------------------------------------------------

    async def workflow_runs(
        self, repo: str, *, branch: str | None = None, head_sha: str | None = None, limit: int = 10
    ) -> WorkflowRunList:
        """Workflow runs, newest first, optionally for one branch or one head commit."""
        owner, name = self._allowed(repo)
        wanted = max(1, min(limit, MAX_PER_PAGE))
        params: dict[str, str | int] = {"per_page": wanted}
        if branch:
            params["branch"] = _check_ref(branch)
        if head_sha:
            if not _SHA.match(head_sha.strip()):
                raise BadRequest(SERVICE, f"not a commit SHA: {head_sha[:60]!r}")
            params["head_sha"] = head_sha.strip()
        body = await self._get(f"/repos/{owner}/{name}/actions/runs", params, what=f"runs of {owner}/{name}")
        page = _parse(wire.WorkflowRunPage, body)
        return WorkflowRunList(
            repo=f"{owner}/{name}",
            total_count=page.total_count,
            items=[_run(run) for run in page.workflow_runs[:wanted]],
        )

    async def run_jobs(self, repo: str, run_id: int) -> JobList:
        """The jobs of one workflow run (latest attempt), each with its failed steps."""
        owner, name = self._allowed(repo)
        if run_id < 1:
            raise BadRequest(SERVICE, f"not a workflow run id: {run_id}")
        path = f"/repos/{owner}/{name}/actions/runs/{run_id}/jobs"
        raw = await self._collect(
            path, {"per_page": MAX_PER_PAGE}, limit=MAX_PER_PAGE, key="jobs", what=f"run {run_id}"
        )
        return JobList(
            repo=f"{owner}/{name}", run_id=run_id, items=[_job(_parse(wire.Job, job)) for job in raw]
        )

    async def job_log_tail(self, repo: str, job_id: int, *, lines: int = 40) -> JobLog:
        """The last ``lines`` lines of a job's log (GitHub redirects to a signed URL; we follow it bare)."""
        owner, name = self._allowed(repo)
        if job_id < 1:
            raise BadRequest(SERVICE, f"not a job id: {job_id}")
        wanted = max(1, min(lines, MAX_LOG_LINES))
        path = f"/repos/{owner}/{name}/actions/jobs/{job_id}/logs"
        response = await self._send(path, None, what=f"log of job {job_id}", follow_redirects=False)
        location = response.headers.get("location")
        if not response.is_redirect or not location or self._plain is None:
            raise Unavailable(
                SERVICE, "the job log did not redirect to a download", status=response.status_code
            )
        url = response.request.url.join(location)
        tail, truncated = await read_tail(self._plain, str(url), lines=wanted)
        return JobLog(repo=f"{owner}/{name}", job_id=job_id, lines=tail, truncated=truncated)

    # -- writes ------------------------------------------------------------------------------

    async def create_issue(
        self, repo: str, title: str, body: str, labels: Collection[str] = ()
    ) -> GitHubCreatedIssue:
        """Open an issue; returns its number and link."""
        owner, name = self._allowed(repo)
        if not title.strip() or "\n" in title:
            raise BadRequest(SERVICE, "the title must be one non-empty line")
        payload: dict[str, Any] = {"title": title.strip(), "body": body}
        if labels:
            payload["labels"] = list(labels)
        path = f"/repos/{owner}/{name}/issues"
        issue = _parse(wire.Issue, await self._post(path, payload, what=f"{owner}/{name}"))
        return GitHubCreatedIssue(repo=f"{owner}/{name}", number=issue.number, url=issue.html_url)

    async def comment(self, repo: str, number: int, body: str) -> GitHubCommentAdded:
        """Comment on an issue or pull request (pull requests take issue comments too)."""
        owner, name = self._allowed(repo)
        if not body.strip():
            raise BadRequest(SERVICE, "the comment is empty")
        path = f"/repos/{owner}/{name}/issues/{_check_number(number)}/comments"
        what = f"{owner}/{name}#{number}"
        comment = _parse(wire.IssueComment, await self._post(path, {"body": body}, what=what))
        return GitHubCommentAdded(
            repo=f"{owner}/{name}", number=number, comment_id=comment.id, url=comment.html_url
        )

    async def rerun_failed_jobs(self, repo: str, run_id: int) -> GitHubRerunRequested:
        """Re-run the failed jobs (and what depends on them) of a completed workflow run.

        The run is read first, so a run still in progress or without failures is refused with a
        clear reason before anything is written.
        """
        owner, name = self._allowed(repo)
        if run_id < 1:
            raise BadRequest(SERVICE, f"not a workflow run id: {run_id}")
        base = f"/repos/{owner}/{name}/actions/runs/{run_id}"
        run = _parse(wire.WorkflowRun, await self._get(base, what=f"run {run_id} of {owner}/{name}"))
        if run.status != "completed":
            raise BadRequest(
                SERVICE, f"run {run_id} is {run.status or 'not completed'}; re-run it once it ends"
            )
        if run.conclusion not in FAILED_CONCLUSIONS:
            raise BadRequest(
                SERVICE, f"run {run_id} ended {run.conclusion or 'without a result'}; nothing failed"
            )
        await self._post(f"{base}/rerun-failed-jobs", None, what=f"run {run_id} of {owner}/{name}")
        return GitHubRerunRequested(repo=f"{owner}/{name}", run_id=run_id, url=run.html_url)

    async def _post(self, path: str, payload: dict[str, Any] | None, *, what: str) -> Any:
        try:
            response = await send(self._http, "POST", path, service=SERVICE, json=payload)
        except NotFound as exc:
            raise NotFound(SERVICE, f"{what} not found or no access", status=exc.status) from None
        return decode_json(response, SERVICE)

    # -- plumbing ----------------------------------------------------------------------------

    def _allowed(self, repo: str) -> tuple[str, str]:
        owner, name = split_repo(repo)
        self._scope.check(f"{owner}/{name}")
        return owner, name

    async def _check_runs(self, owner: str, name: str, sha: str) -> list[CheckRun]:
        if not sha:
            return []
        path = f"/repos/{owner}/{name}/commits/{sha}/check-runs"
        raw = await self._collect(
            path,
            {"per_page": MAX_PER_PAGE},
            limit=MAX_CHECK_RUNS,
            key="check_runs",
            what=f"checks of {sha[:7]}",
        )
        runs = [_parse(wire.CheckRun, item) for item in raw]
        return [CheckRun(name=r.name, status=r.status, conclusion=r.conclusion, url=r.html_url) for r in runs]

    async def _statuses(self, owner: str, name: str, sha: str) -> list[CommitStatus]:
        if not sha:
            return []
        path = f"/repos/{owner}/{name}/commits/{sha}/status"
        combined = _parse(
            wire.CombinedStatus,
            await self._get(path, {"per_page": MAX_PER_PAGE}, what=f"status of {sha[:7]}"),
        )
        return [
            CommitStatus(context=s.context, state=s.state, description=s.description, url=s.target_url)
            for s in combined.statuses
        ]

    async def _collect(
        self,
        path: str,
        params: dict[str, str | int],
        *,
        limit: int,
        what: str,
        key: str | None = None,
    ) -> list[Any]:
        """Items of a list endpoint across pages, following ``Link: rel="next"`` up to ``limit``."""
        items: list[Any] = []
        url: str = path
        query: dict[str, str | int] | None = params
        for _ in range(MAX_PAGES):
            response = await self._send(url, query, what=what)
            body = decode_json(response, SERVICE)
            page = body.get(key) if key is not None and isinstance(body, dict) else body
            items.extend(_as_list(page))
            following = response.links.get("next", {}).get("url")
            if len(items) >= limit or not following or not self._same_origin(following):
                break
            url, query = following, None  # the next URL carries its own query
        return items[:limit]

    def _same_origin(self, url: str) -> bool:
        # A Link elsewhere would receive our Authorization header: never follow one.
        target, base = httpx.URL(url), self._http.base_url
        return (target.scheme, target.host, target.port) == (base.scheme, base.host, base.port)

    async def _get(self, path: str, params: dict[str, str | int] | None = None, *, what: str) -> Any:
        return decode_json(await self._send(path, params, what=what), SERVICE)

    async def _send(
        self,
        path: str,
        params: dict[str, str | int] | None,
        *,
        what: str,
        follow_redirects: bool | None = None,
    ) -> httpx.Response:
        try:
            return await send(
                self._http, "GET", path, service=SERVICE, params=params, follow_redirects=follow_redirects
            )
        except NotFound as exc:
            # GitHub hides what a token may not see behind the same 404 as what does not exist.
            raise NotFound(SERVICE, f"{what} not found or no access", status=exc.status) from None


def _plain_client(
    base_url: str, *, timeout: float, transport: httpx.AsyncBaseTransport | None, sleep: Sleep
) -> httpx.AsyncClient:
    """No Authorization by default: for signed log URLs, and for the app's JWT sent per request."""
    return build_http_client(
        service=SERVICE,
        base_url=base_url,
        headers={"User-Agent": USER_AGENT},
        timeout=timeout,
        transport=transport,
        sleep=sleep,
    )


def _as_list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise Unavailable(SERVICE, "unexpected response shape: expected a list")
    return value


def _repo_of(repository_url: str) -> str:
    # ".../repos/{owner}/{name}" on github.com and on Enterprise (".../api/v3/repos/...").
    parts = repository_url.rstrip("/").split("/")
    return "/".join(parts[-2:]) if len(parts) >= 2 else ""


def _hit(item: wire.Issue) -> SearchHit:
    return SearchHit(
        repo=_repo_of(item.repository_url),
        number=item.number,
        url=item.html_url,
        title=item.title,
        state=item.state,
        is_pull_request=item.pull_request is not None,
        author=item.user.login if item.user else "",
        updated_at=item.updated_at,
    )


def _pull_summary(repo: str, pull: wire.PullRequest) -> PullSummary:
    return PullSummary(
        repo=repo,
        number=pull.number,
        url=pull.html_url,
        title=pull.title,
        state=pull.state,
        draft=pull.draft,
        author=pull.user.login if pull.user else "",
        base=pull.base.ref,
        head=pull.head.ref,
        requested_reviewers=[account.login for account in pull.requested_reviewers],
        requested_teams=[team.slug or team.name for team in pull.requested_teams],
        labels=[label.name for label in pull.labels],
        created_at=pull.created_at,
        updated_at=pull.updated_at,
    )


def _commit(commit: wire.Commit) -> CommitSummary:
    person = commit.commit.author
    return CommitSummary(
        sha=commit.sha,
        message=commit.commit.message.splitlines()[0] if commit.commit.message else "",
        author=commit.author.login if commit.author else person.name if person else "",
        date=person.date if person else "",
        url=commit.html_url,
    )


def _run(run: wire.WorkflowRun) -> WorkflowRun:
    return WorkflowRun(
        id=run.id,
        name=run.name,
        title=run.display_title,
        status=run.status,
        conclusion=run.conclusion,
        branch=run.head_branch,
        head_sha=run.head_sha,
        event=run.event,
        url=run.html_url,
        run_number=run.run_number,
        run_attempt=run.run_attempt,
        created_at=run.created_at,
    )


def _job(job: wire.Job) -> Job:
    return Job(
        id=job.id,
        run_id=job.run_id,
        name=job.name,
        status=job.status,
        conclusion=job.conclusion,
        url=job.html_url,
        started_at=job.started_at,
        completed_at=job.completed_at,
        failed_steps=[step.name for step in job.steps if step.conclusion in FAILED_CONCLUSIONS],
    )


def _parse(model: type[M], body: Any) -> M:
    try:
        return model.model_validate(body)
    except ValidationError:
        raise Unavailable(SERVICE, f"unexpected response shape for {model.__name__}") from None
