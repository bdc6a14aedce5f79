"""Read access to Jira: one issue by key, and JQL search.

Cloud (email + API token, Basic auth) uses REST v3 and the enhanced search
``/rest/api/3/search/jql``; the old ``/search`` answers 410 on Cloud and is never called there.
Data Center (personal access token, Bearer) uses REST v2 and ``/rest/api/2/search``.
"""

from __future__ import annotations

import asyncio
import re
from types import TracebackType
from typing import Any, Literal, TypeVar

import httpx
from pydantic import SecretStr, ValidationError

from integrations.errors import BadRequest, Unavailable
from integrations.http import build_http_client, request_json
from integrations.jira import wire
from integrations.jira.adf import adf_to_text
from integrations.jira.models import (
    JiraComment,
    JiraIssue,
    JiraIssueLink,
    JiraSearchHit,
    JiraSearchResult,
)
from integrations.retry import Sleep

SERVICE = "jira"
USER_AGENT = "chatops-bot/0.1 (+jira)"
ISSUE_FIELDS = ",".join(
    ("summary", "status", "issuetype", "priority", "assignee", "reporter", "labels")
    + ("created", "updated", "description", "issuelinks", "comment")
)
SEARCH_FIELDS = "summary,status,assignee,priority,updated"
MAX_SEARCH_RESULTS = 100
MAX_SEARCH_PAGES = 5
RECENT_COMMENTS = 5
DESCRIPTION_CHARS = 4000
COMMENT_CHARS = 1500

_KEY = re.compile(r"^[A-Z][A-Z0-9_]+-\d+$")

ApiVersion = Literal["2", "3"]
M = TypeVar("M", bound=wire.WireModel)


def normalize_key(key: str) -> str:
    """``ops-2`` -> ``OPS-2``; anything that is not an issue key raises BadRequest."""
    candidate = key.strip().upper()
    if not _KEY.match(candidate):
        raise BadRequest(SERVICE, f"not a Jira issue key: {key[:40]!r} (expected e.g. OPS-123)")
    return candidate


def _secret(value: str | SecretStr | None) -> str | None:
    return value.get_secret_value() if isinstance(value, SecretStr) else value


class JiraClient:
    """Jira Cloud or Data Center, over an injected ``httpx.AsyncClient``."""

    def __init__(self, http: httpx.AsyncClient, *, api_version: ApiVersion = "3") -> None:
        self._http = http
        self._api = f"/rest/api/{api_version}"
        self._cloud = api_version == "3"
        self._site = str(http.base_url).rstrip("/")

    @classmethod
    def create(
        cls,
        base_url: str,
        *,
        email: str | None = None,
        api_token: str | SecretStr | None = None,
        pat: str | SecretStr | None = None,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> JiraClient:
        """Cloud with ``email`` + ``api_token`` (Basic), or Data Center with ``pat`` (Bearer)."""
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        token, personal = _secret(api_token), _secret(pat)
        auth: httpx.Auth | None = None
        version: ApiVersion = "3"
        if email and token:
            auth = httpx.BasicAuth(email, token)
        elif personal:
            headers["Authorization"] = f"Bearer {personal}"
            version = "2"
        else:
            raise ValueError("Jira needs email and api_token (Cloud) or pat (Data Center)")
        http = build_http_client(
            service=SERVICE,
            base_url=base_url.rstrip("/"),
            headers=headers,
            auth=auth,
            timeout=timeout,
            transport=transport,
            sleep=sleep,
        )
        return cls(http, api_version=version)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> JiraClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def myself(self) -> str:
        """Who the credentials belong to (display name); a cheap auth and reachability check."""
        user = _parse(wire.User, await self._get(f"{self._api}/myself", {}))
        return user.label

    async def get_issue(self, key: str) -> JiraIssue:
        """One issue with its description, links and most recent comments rendered to text."""
        path = f"{self._api}/issue/{normalize_key(key)}"
        body = await self._get(path, {"fields": ISSUE_FIELDS})
        return self._issue(_parse(wire.Issue, body))

    async def search(self, jql: str, limit: int = 20) -> JiraSearchResult:
        """Issues matching ``jql``, at most ``limit`` (capped at 100)."""
        if not jql.strip():
            raise BadRequest(SERVICE, "the JQL query is empty")
        limit = max(1, min(limit, MAX_SEARCH_RESULTS))
        fetch = self._search_cloud if self._cloud else self._search_datacenter
        hits, is_last = await fetch(jql.strip(), limit)
        return JiraSearchResult(jql=jql.strip(), issues=hits[:limit], is_last=is_last and len(hits) <= limit)

    async def _search_cloud(self, jql: str, limit: int) -> tuple[list[JiraSearchHit], bool]:
        hits: list[JiraSearchHit] = []
        params: dict[str, str | int] = {"jql": jql, "fields": SEARCH_FIELDS}
        for _ in range(MAX_SEARCH_PAGES):
            params["maxResults"] = limit - len(hits)
            page = _parse(wire.SearchPage, await self._get(f"{self._api}/search/jql", params))
            hits.extend(self._hit(issue) for issue in page.issues)
            last = page.is_last is not False and not page.next_page_token
            if last or len(hits) >= limit or not page.issues:
                return hits, last
            params["nextPageToken"] = page.next_page_token or ""
        return hits, False

    async def _search_datacenter(self, jql: str, limit: int) -> tuple[list[JiraSearchHit], bool]:
        params: dict[str, str | int] = {
            "jql": jql,
            "fields": SEARCH_FIELDS,
            "maxResults": limit,
            "startAt": 0,
        }
        page = _parse(wire.SearchPage, await self._get(f"{self._api}/search", params))
        hits = [self._hit(issue) for issue in page.issues]
        total = page.total if page.total is not None else len(hits)
        return hits, page.start_at + len(hits) >= total

    async def _get(self, path: str, params: dict[str, str | int]) -> Any:
        return await request_json(self._http, "GET", path, service=SERVICE, params=params)

    def _url(self, key: str) -> str:
        return f"{self._site}/browse/{key}"

    def _issue(self, issue: wire.Issue) -> JiraIssue:
        fields = issue.fields
        return JiraIssue(
            key=issue.key,
            url=self._url(issue.key),
            summary=fields.summary,
            status=_name(fields.status),
            issue_type=_name(fields.issuetype),
            priority=_name(fields.priority),
            assignee=fields.assignee.label if fields.assignee else None,
            reporter=fields.reporter.label if fields.reporter else None,
            labels=fields.labels,
            created=fields.created,
            updated=fields.updated,
            description=adf_to_text(fields.description, max_chars=DESCRIPTION_CHARS),
            links=[link for raw in fields.issuelinks if (link := _link(raw)) is not None],
            comments=[_comment(comment) for comment in fields.comment_list[-RECENT_COMMENTS:]],
        )

    def _hit(self, issue: wire.Issue) -> JiraSearchHit:
        fields = issue.fields
        return JiraSearchHit(
            key=issue.key,
            url=self._url(issue.key),
            summary=fields.summary,
            status=_name(fields.status),
            assignee=fields.assignee.label if fields.assignee else None,
            priority=_name(fields.priority),
            updated=fields.updated,
        )


def _name(value: wire.Named | None) -> str:
    return value.name if value else ""


def _link(link: wire.IssueLink) -> JiraIssueLink | None:
    # Seen from this issue: an inward issue relates to us by the type's inward phrase.
    if link.inward_issue is not None:
        other, relation = link.inward_issue, link.type.inward
    elif link.outward_issue is not None:
        other, relation = link.outward_issue, link.type.outward
    else:
        return None
    return JiraIssueLink(
        relation=relation or link.type.name or "relates to",
        key=other.key,
        summary=other.fields.summary,
        status=_name(other.fields.status),
    )


def _comment(comment: wire.Comment) -> JiraComment:
    return JiraComment(
        author=comment.author.label if comment.author else "",
        created=comment.created,
        body=adf_to_text(comment.body, max_chars=COMMENT_CHARS),
    )


def _parse(model: type[M], body: Any) -> M:
    try:
        return model.model_validate(body)
    except ValidationError:
        raise Unavailable(SERVICE, f"unexpected response shape for {model.__name__}") from None
