"""Read access to GitHub: pull requests with their checks, issues, and issue/PR search."""

from __future__ import annotations

import asyncio
import re
from types import TracebackType
from typing import Any, TypeVar

import httpx
from pydantic import SecretStr, ValidationError

from integrations.errors import BadRequest, Unavailable
from integrations.github import wire
from integrations.github.models import CheckRun, GitHubIssue, PullRequest, SearchHit, SearchResult
from integrations.http import build_http_client, request_json
from integrations.retry import Sleep

SERVICE = "github"
DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
USER_AGENT = "chatops-bot/0.1 (+github)"
BODY_CHARS = 4000
MAX_SEARCH_RESULTS = 100
MAX_CHECK_RUNS = 100

_REPO = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")

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


def _truncate(text: str) -> str:
    return text if len(text) <= BODY_CHARS else text[: BODY_CHARS - 1] + "…"


class GitHubClient:
    """github.com or GitHub Enterprise, over an injected ``httpx.AsyncClient``."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    @classmethod
    def create(
        cls,
        base_url: str = DEFAULT_API_URL,
        *,
        token: str | SecretStr,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> GitHubClient:
        secret = token.get_secret_value() if isinstance(token, SecretStr) else token
        headers = {
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {secret}",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": USER_AGENT,
        }
        http = build_http_client(
            service=SERVICE,
            base_url=base_url.rstrip("/"),
            headers=headers,
            timeout=timeout,
            transport=transport,
            sleep=sleep,
        )
        return cls(http)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> GitHubClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def viewer(self) -> str:
        """The login the token belongs to; a cheap auth and reachability check."""
        return _parse(wire.Account, await self._get("/user")).login

    async def get_pull_request(self, repo: str, number: int) -> PullRequest:
        """A pull request and the check runs of its head commit."""
        owner, name = split_repo(repo)
        base = f"/repos/{owner}/{name}"
        pull = _parse(wire.PullRequest, await self._get(f"{base}/pulls/{_check_number(number)}"))
        checks = await self._check_runs(base, pull.head.sha) if pull.head.sha else []
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
            body=_truncate(pull.body),
            requested_reviewers=[account.login for account in pull.requested_reviewers],
            labels=[label.name for label in pull.labels],
            created_at=pull.created_at,
            updated_at=pull.updated_at,
            checks=checks,
        )

    async def get_issue(self, repo: str, number: int) -> GitHubIssue:
        """An issue; pull requests are issues too (``is_pull_request``)."""
        owner, name = split_repo(repo)
        issue = _parse(wire.Issue, await self._get(f"/repos/{owner}/{name}/issues/{_check_number(number)}"))
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
        """Issues and pull requests matching a GitHub search query (``repo:``, ``is:pr``, ...)."""
        if not query.strip():
            raise BadRequest(SERVICE, "the search query is empty")
        per_page = max(1, min(limit, MAX_SEARCH_RESULTS))
        params: dict[str, str | int] = {"q": query.strip(), "per_page": per_page}
        page = _parse(wire.SearchPage, await self._get("/search/issues", params))
        return SearchResult(
            query=query.strip(),
            total_count=page.total_count,
            items=[_hit(item) for item in page.items[:per_page]],
        )

    async def _check_runs(self, base: str, sha: str) -> list[CheckRun]:
        params: dict[str, str | int] = {"per_page": MAX_CHECK_RUNS}
        page = _parse(wire.CheckRunPage, await self._get(f"{base}/commits/{sha}/check-runs", params))
        return [
            CheckRun(name=run.name, status=run.status, conclusion=run.conclusion, url=run.html_url)
            for run in page.check_runs
        ]

    async def _get(self, path: str, params: dict[str, str | int] | None = None) -> Any:
        return await request_json(self._http, "GET", path, service=SERVICE, params=params)


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


def _parse(model: type[M], body: Any) -> M:
    try:
        return model.model_validate(body)
    except ValidationError:
        raise Unavailable(SERVICE, f"unexpected response shape for {model.__name__}") from None
