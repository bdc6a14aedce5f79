"""Jira: issues, JQL search and counts, transitions, projects, assignable people; and the few writes
the bot may make.

Cloud (email + API token, Basic auth) uses REST v3 and the enhanced search
``/rest/api/3/search/jql``; the old ``/search`` answers 410 on Cloud and is never called there.
Data Center (personal access token, Bearer) uses REST v2 and ``/rest/api/2/search``. Callers
see one shape: text is Markdown on both, and a search page token is Cloud's ``nextPageToken``
or, on Data Center, the next ``startAt`` written as a string.

With a project allowlist every key is checked and every JQL scoped (``integrations.jira.jql``)
before a request is sent.

Writes (create issue, comment, transition, assign) are checked against the allowlist too and
send Markdown as ADF on Cloud (``integrations.jira.adf_writer``) and as wiki markup on Data
Center (``integrations.jira.wiki_writer``). Jira has no idempotency key on these endpoints: a
POST that may have reached Jira is never retried (``integrations.retry``), and exactly-once
across clicks and restarts is the approval store's job.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Collection
from types import TracebackType
from typing import Any, Literal, TypeVar

import httpx
from pydantic import SecretStr, ValidationError

from integrations.errors import BadRequest, Unavailable
from integrations.http import build_http_client, decode_json, request_json, send
from integrations.jira import wire
from integrations.jira.adf import adf_to_markdown
from integrations.jira.adf_writer import markdown_to_adf
from integrations.jira.jql import key_allowed, outside_scope, project_keys, scope_jql
from integrations.jira.models import (
    JiraAssigned,
    JiraComment,
    JiraCommentAdded,
    JiraCreatedIssue,
    JiraIssue,
    JiraIssueLink,
    JiraProject,
    JiraSearchHit,
    JiraSearchResult,
    JiraSprint,
    JiraSubtask,
    JiraTransition,
    JiraTransitioned,
    JiraUser,
)
from integrations.jira.wiki import wiki_to_markdown
from integrations.jira.wiki_writer import markdown_to_wiki
from integrations.retry import Sleep

SERVICE = "jira"
USER_AGENT = "chatops-bot/0.1 (+jira)"
ISSUE_FIELDS = ",".join(
    ("summary", "status", "issuetype", "priority", "assignee", "reporter", "labels")
    + ("created", "updated", "description", "issuelinks", "comment")
    + ("subtasks", "parent", "fixVersions")
)
SEARCH_FIELDS = "summary,status,assignee,priority,issuetype,updated"
# Jira Software's sprint field is a custom field whose id differs per site; its schema names it.
SPRINT_SCHEMA = "com.pyxis.greenhopper.jira:gh-sprint"
SPRINT_PROBES = 3
MAX_SEARCH_RESULTS = 100
MAX_SEARCH_PAGES = 5
PROJECT_PAGE = 50
MAX_PROJECT_PAGES = 5
MAX_USERS = 50
RECENT_COMMENTS = 5
DESCRIPTION_CHARS = 4000
COMMENT_CHARS = 1500

_KEY = re.compile(r"^[A-Z][A-Z0-9_]+-\d+$")
_PROJECT = re.compile(r"^[A-Z][A-Z0-9_]+$")
_DC_SPRINT_ATTR = re.compile(r"[\[,](name|state)=([^,\]]*)")

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

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        api_version: ApiVersion = "3",
        projects: Collection[str] | None = None,
    ) -> None:
        self._http = http
        self._api = f"/rest/api/{api_version}"
        self._cloud = api_version == "3"
        self._site = str(http.base_url).rstrip("/")
        self._projects = project_keys(projects)
        self._sprint_field: str | None = None
        # Reads left that may look for the sprint field: an issue whose project has no sprint
        # field says nothing about the site, so give up only after a few such reads.
        self._sprint_probes = SPRINT_PROBES

    @classmethod
    def create(
        cls,
        base_url: str,
        *,
        email: str | None = None,
        api_token: str | SecretStr | None = None,
        pat: str | SecretStr | None = None,
        projects: Collection[str] | None = None,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> JiraClient:
        """Cloud with ``email`` + ``api_token`` (Basic), or Data Center with ``pat`` (Bearer).

        ``projects`` is the allowlist of project keys (empty or None: every project).
        """
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
        return cls(http, api_version=version, projects=projects)

    @property
    def projects_allowed(self) -> tuple[str, ...]:
        """The project allowlist (upper-case keys); empty means every project."""
        return self._projects

    @property
    def site_url(self) -> str:
        return self._site

    @property
    def counts_are_estimates(self) -> bool:
        """Cloud counts with approximate-count (an estimate); Data Center's total is exact."""
        return self._cloud

    def browse_url(self, key: str) -> str:
        return f"{self._site}/browse/{key}"

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

    def scoped_jql(self, jql: str) -> str:
        """The JQL that ``search``/``count`` would send: validated and scoped, no request made."""
        return scope_jql(jql, self._projects)

    async def get_issue(self, key: str) -> JiraIssue:
        """One issue: description and recent comments as Markdown, links, sub-tasks, sprint."""
        wanted = self._allowed_key(key)
        params: dict[str, str | int] = {"fields": self._issue_fields()}
        if self._probing_for_sprints:
            params["expand"] = "names,schema"
        body = await self._get(f"{self._api}/issue/{wanted}", params)
        issue = _parse(wire.Issue, body)
        self._learn_sprint_field(issue)
        if not key_allowed(issue.key, self._projects):  # Jira follows moved issues to their new key
            raise outside_scope(f"issue {issue.key}", self._projects)
        return self._issue(issue, _raw_field(body, self._sprint_field))

    async def search(self, jql: str, limit: int = 20, *, page_token: str | None = None) -> JiraSearchResult:
        """One page of issues matching ``jql`` (at most ``limit``, capped at 100).

        Pass the result's ``next_page_token`` back to get the following page.
        """
        scoped = scope_jql(jql, self._projects)
        limit = max(1, min(limit, MAX_SEARCH_RESULTS))
        if self._cloud:
            hits, token = await self._search_cloud(scoped, limit, page_token)
            total = None
        else:
            hits, token, total = await self._search_datacenter(scoped, limit, page_token)
        return JiraSearchResult(
            jql=scoped, issues=hits, is_last=token is None, next_page_token=token, total=total
        )

    async def count(self, jql: str) -> int:
        """How many issues match ``jql``; on Cloud an estimate, as Jira's own count is."""
        scoped = scope_jql(jql, self._projects)
        if self._cloud:
            body = await request_json(
                self._http,
                "POST",
                "/rest/api/3/search/approximate-count",
                service=SERVICE,
                json={"jql": scoped},
            )
            return _parse(wire.Count, body).count
        params: dict[str, str | int] = {"jql": scoped, "maxResults": 0, "fields": "id"}
        page = _parse(wire.SearchPage, await self._get(f"{self._api}/search", params))
        return page.total or 0

    async def transitions(self, key: str) -> list[JiraTransition]:
        """The workflow transitions available on an issue now (read only; none is performed)."""
        wanted = self._allowed_key(key)
        body = await self._get(f"{self._api}/issue/{wanted}/transitions", {})
        return [
            JiraTransition(id=item.id, name=item.name, to_status=_name(item.to))
            for item in _parse(wire.Transitions, body).transitions
        ]

    async def projects(self) -> list[JiraProject]:
        """The projects the credentials can see, limited to the allowlist, by key."""
        found = await (self._projects_cloud() if self._cloud else self._projects_datacenter())
        allowed = [p for p in found if not self._projects or p.key.upper() in self._projects]
        return sorted(
            (JiraProject(key=p.key, name=p.name, url=f"{self._site}/browse/{p.key}") for p in allowed),
            key=lambda project: project.key,
        )

    async def assignable_users(self, key: str, query: str, limit: int = 10) -> list[JiraUser]:
        """People ``key`` may be assigned to whose name or email starts with ``query``, as Jira matches.

        Cloud matches display name and email (``query``); Data Center also the user name (``username``).
        """
        wanted = self._allowed_key(key)
        text = query.strip()
        if not text:
            raise BadRequest(SERVICE, "no name or email to look for")
        params: dict[str, str | int] = {
            "issueKey": wanted,
            "query" if self._cloud else "username": text[:100],
            "maxResults": max(1, min(limit, MAX_USERS)),
        }
        body = await self._get(f"{self._api}/user/assignable/search", params)
        if not isinstance(body, list):
            raise Unavailable(SERVICE, "unexpected response shape for the user search")
        users = [self._user(_parse(wire.User, item)) for item in body]
        return [user for user in users if user.id]

    # -- writes --------------------------------------------------------------------------------

    async def create_issue(
        self,
        project: str,
        issue_type: str,
        summary: str,
        description_markdown: str,
        *,
        priority: str | None = None,
        labels: Collection[str] = (),
        assignee_account_id: str | None = None,
    ) -> JiraCreatedIssue:
        """Create an issue; ``assignee_account_id`` is an account id on Cloud, a user name on DC."""
        key = self._allowed_project(project)
        if not summary.strip() or "\n" in summary:
            raise BadRequest(SERVICE, "the summary must be one non-empty line")
        fields: dict[str, Any] = {
            "project": {"key": key},
            "issuetype": {"name": issue_type},
            "summary": summary.strip(),
        }
        if description_markdown.strip():
            fields["description"] = self._markup(description_markdown)
        if priority:
            fields["priority"] = {"name": priority}
        if labels:
            fields["labels"] = list(labels)
        if assignee_account_id:
            fields["assignee"] = self._user_ref(assignee_account_id)
        body = await self._write("POST", f"{self._api}/issue", {"fields": fields})
        created = _parse(wire.Created, body)
        return JiraCreatedIssue(key=created.key, id=created.id, url=self.browse_url(created.key))

    async def add_comment(self, key: str, markdown: str) -> JiraCommentAdded:
        """Add a comment (Markdown, sent as ADF on Cloud and wiki markup on DC)."""
        wanted = self._allowed_key(key)
        if not markdown.strip():
            raise BadRequest(SERVICE, "the comment is empty")
        body = {"body": self._markup(markdown)}
        comment = _parse(wire.Created, await self._write("POST", f"{self._api}/issue/{wanted}/comment", body))
        url = f"{self.browse_url(wanted)}?focusedCommentId={comment.id}"
        return JiraCommentAdded(key=wanted, comment_id=comment.id, url=url)

    async def transition(self, key: str, transition: str) -> JiraTransitioned:
        """Perform a transition named by id, action name or target status (case-insensitive).

        The available transitions are read first: an unknown one is refused before anything is
        written, and the result can say which status the issue is in now.
        """
        wanted = self._allowed_key(key)
        chosen = _pick_transition(await self.transitions(wanted), transition)
        if chosen is None:
            raise BadRequest(SERVICE, f"{wanted} has no transition {transition[:60]!r} available now")
        path = f"{self._api}/issue/{wanted}/transitions"
        await self._write("POST", path, {"transition": {"id": chosen.id}}, expect_body=False)
        return JiraTransitioned(
            key=wanted,
            url=self.browse_url(wanted),
            transition_id=chosen.id,
            transition=chosen.name,
            to_status=chosen.to_status,
        )

    async def assign(self, key: str, assignee: str) -> JiraAssigned:
        """Assign an issue: ``assignee`` is an account id on Cloud, a user name on Data Center."""
        wanted = self._allowed_key(key)
        if not assignee.strip():
            raise BadRequest(SERVICE, "no assignee given")
        path = f"{self._api}/issue/{wanted}/assignee"
        await self._write("PUT", path, self._user_ref(assignee.strip()), expect_body=False)
        return JiraAssigned(key=wanted, url=self.browse_url(wanted), assignee=assignee.strip())

    async def _write(self, method: str, path: str, body: dict[str, Any], *, expect_body: bool = True) -> Any:
        response = await send(self._http, method, path, service=SERVICE, json=body)
        return decode_json(response, SERVICE) if expect_body else None

    def _markup(self, markdown: str) -> Any:
        return markdown_to_adf(markdown) if self._cloud else markdown_to_wiki(markdown)

    def _user_ref(self, user: str) -> dict[str, str]:
        return {"accountId": user} if self._cloud else {"name": user}

    def _allowed_project(self, project: str) -> str:
        candidate = project.strip().upper()
        if not _PROJECT.match(candidate):
            raise BadRequest(SERVICE, f"not a Jira project key: {project[:20]!r}")
        if self._projects and candidate not in self._projects:
            raise outside_scope(f"project {candidate}", self._projects)
        return candidate

    async def _projects_cloud(self) -> list[wire.Project]:
        found: list[wire.Project] = []
        for _ in range(MAX_PROJECT_PAGES):
            params: dict[str, str | int] = {
                "startAt": len(found),
                "maxResults": PROJECT_PAGE,
                "orderBy": "key",
            }
            page = _parse(wire.ProjectPage, await self._get("/rest/api/3/project/search", params))
            found.extend(page.values)
            if page.is_last or not page.values:
                break
        return found

    async def _projects_datacenter(self) -> list[wire.Project]:
        body = await self._get("/rest/api/2/project", {})
        if not isinstance(body, list):
            raise Unavailable(SERVICE, "unexpected response shape for the project list")
        return [_parse(wire.Project, item) for item in body]

    async def _search_cloud(
        self, jql: str, limit: int, token: str | None
    ) -> tuple[list[JiraSearchHit], str | None]:
        hits: list[JiraSearchHit] = []
        params: dict[str, str | int] = {"jql": jql, "fields": SEARCH_FIELDS}
        for _ in range(MAX_SEARCH_PAGES):
            params["maxResults"] = limit - len(hits)
            if token:
                params["nextPageToken"] = token
            page = _parse(wire.SearchPage, await self._get(f"{self._api}/search/jql", params))
            hits.extend(self._hit(issue) for issue in page.issues)
            token = page.next_page_token if page.is_last is not True else None
            # Jira may return fewer than asked (large fields); keep going until the limit.
            if not token or len(hits) >= limit or not page.issues:
                break
        return hits, token or None

    async def _search_datacenter(
        self, jql: str, limit: int, token: str | None
    ) -> tuple[list[JiraSearchHit], str | None, int]:
        start = _offset(token)
        hits: list[JiraSearchHit] = []
        total = 0
        for _ in range(MAX_SEARCH_PAGES):
            params: dict[str, str | int] = {
                "jql": jql,
                "fields": SEARCH_FIELDS,
                "maxResults": limit - len(hits),
                "startAt": start + len(hits),
            }
            page = _parse(wire.SearchPage, await self._get(f"{self._api}/search", params))
            hits.extend(self._hit(issue) for issue in page.issues)
            total = page.total if page.total is not None else start + len(hits)
            if start + len(hits) >= total or len(hits) >= limit or not page.issues:
                break
        end = start + len(hits)
        return hits, (str(end) if end < total else None), total

    async def _get(self, path: str, params: dict[str, str | int]) -> Any:
        return await request_json(self._http, "GET", path, service=SERVICE, params=params)

    def _allowed_key(self, key: str) -> str:
        wanted = normalize_key(key)
        if not key_allowed(wanted, self._projects):
            raise outside_scope(f"issue {wanted}", self._projects)
        return wanted

    @property
    def _probing_for_sprints(self) -> bool:
        return self._sprint_field is None and self._sprint_probes > 0

    def _issue_fields(self) -> str:
        if self._probing_for_sprints:
            # The first read asks for every navigable field with its schema to find the
            # sprint field; later reads name it explicitly.
            return ISSUE_FIELDS + ",*navigable"
        return ISSUE_FIELDS + (f",{self._sprint_field}" if self._sprint_field else "")

    def _learn_sprint_field(self, issue: wire.Issue) -> None:
        if not self._probing_for_sprints:
            return
        by_schema = [name for name, schema in issue.field_schemas.items() if schema.custom == SPRINT_SCHEMA]
        by_name = [name for name, label in issue.names.items() if label.lower() == "sprint"]
        candidates = by_schema or by_name
        self._sprint_field = candidates[0] if candidates else None
        self._sprint_probes -= 1

    def _text(self, value: Any, max_chars: int) -> str:
        if isinstance(value, str) and not self._cloud:
            return wiki_to_markdown(value, max_chars=max_chars)
        return adf_to_markdown(value, max_chars=max_chars)

    def _issue(self, issue: wire.Issue, sprint: Any) -> JiraIssue:
        fields = issue.fields
        return JiraIssue(
            key=issue.key,
            url=self.browse_url(issue.key),
            summary=fields.summary,
            status=_name(fields.status),
            issue_type=_name(fields.issuetype),
            priority=_name(fields.priority),
            assignee=fields.assignee.label if fields.assignee else None,
            reporter=fields.reporter.label if fields.reporter else None,
            labels=fields.labels,
            created=fields.created,
            updated=fields.updated,
            description=self._text(fields.description, DESCRIPTION_CHARS),
            links=[link for raw in fields.issuelinks if (link := self._link(raw)) is not None],
            subtasks=[self._subtask(ref) for ref in fields.subtasks],
            parent=fields.parent.key if fields.parent else None,
            sprint=_sprint(sprint),
            fix_versions=[version.name for version in fields.fix_versions if version.name],
            comments=[self._comment(comment) for comment in fields.comment_list[-RECENT_COMMENTS:]],
            comment_total=fields.comment_total,
        )

    def _user(self, user: wire.User) -> JiraUser:
        return JiraUser(
            id=user.account_id if self._cloud else user.name,
            display_name=user.display_name,
            email=user.email_address,
            name=user.name,
        )

    def _hit(self, issue: wire.Issue) -> JiraSearchHit:
        fields = issue.fields
        return JiraSearchHit(
            key=issue.key,
            url=self.browse_url(issue.key),
            summary=fields.summary,
            status=_name(fields.status),
            assignee=fields.assignee.label if fields.assignee else None,
            priority=_name(fields.priority),
            issue_type=_name(fields.issuetype),
            updated=fields.updated,
        )

    def _link(self, link: wire.IssueLink) -> JiraIssueLink | None:
        # Seen from this issue: an inward issue relates to us by the type's inward phrase.
        if link.inward_issue is not None:
            other, relation = link.inward_issue, link.type.inward
        elif link.outward_issue is not None:
            other, relation = link.outward_issue, link.type.outward
        else:
            return None
        # A linked issue in a project outside the allowlist keeps only its key.
        visible = key_allowed(other.key, self._projects)
        return JiraIssueLink(
            relation=relation or link.type.name or "relates to",
            key=other.key,
            summary=other.fields.summary if visible else "",
            status=_name(other.fields.status) if visible else "",
        )

    def _subtask(self, ref: wire.IssueRef) -> JiraSubtask:
        visible = key_allowed(ref.key, self._projects)
        return JiraSubtask(
            key=ref.key,
            summary=ref.fields.summary if visible else "",
            status=_name(ref.fields.status) if visible else "",
        )

    def _comment(self, comment: wire.Comment) -> JiraComment:
        return JiraComment(
            author=comment.author.label if comment.author else "",
            created=comment.created,
            body=self._text(comment.body, COMMENT_CHARS),
        )


def _pick_transition(available: list[JiraTransition], wanted: str) -> JiraTransition | None:
    """The transition ``wanted`` names: its id first, then its action name, then its target status."""
    needle = wanted.strip().lower()
    for attribute in ("id", "name", "to_status"):
        for candidate in available:
            if str(getattr(candidate, attribute)).lower() == needle:
                return candidate
    return None


def _name(value: wire.Named | None) -> str:
    return value.name if value else ""


def _offset(token: str | None) -> int:
    if not token:
        return 0
    if not token.isdigit():
        raise BadRequest(SERVICE, "the search page token is not valid; start the search again")
    return int(token)


def _raw_field(body: Any, name: str | None) -> Any:
    if not name or not isinstance(body, dict) or not isinstance(body.get("fields"), dict):
        return None
    return body["fields"].get(name)


def _sprint(value: Any) -> JiraSprint | None:
    """The active sprint, else the last one listed (Jira lists them oldest first)."""
    sprints = [sprint for item in value if (sprint := _one_sprint(item))] if isinstance(value, list) else []
    active = [sprint for sprint in sprints if sprint.state == "active"]
    chosen = active or sprints
    return chosen[-1] if chosen else None


def _one_sprint(item: Any) -> JiraSprint | None:
    if isinstance(item, dict) and item.get("name"):  # Cloud: a JSON object
        return JiraSprint(name=str(item["name"]), state=str(item.get("state") or "").lower())
    if isinstance(item, str):  # Data Center: "com.atlassian.greenhopper…Sprint@1f[id=1,…,name=…]"
        attrs = dict(_DC_SPRINT_ATTR.findall(item))
        if attrs.get("name"):
            return JiraSprint(name=attrs["name"], state=attrs.get("state", "").lower())
    return None


def _parse(model: type[M], body: Any) -> M:
    try:
        return model.model_validate(body)
    except ValidationError:
        raise Unavailable(SERVICE, f"unexpected response shape for {model.__name__}") from None
