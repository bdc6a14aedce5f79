"""SIMULATED Jira Cloud (REST v3), or Data Center (REST v2), serving the OPS demo project.

Payload shapes follow the Jira Cloud platform OpenAPI examples: ADF descriptions and comment
bodies, ``fields.comment`` as a page object, issue links with inward/outward issues seen from
the issue being read, sub-tasks, fix versions and a sprint custom field (with ``names`` and
``schema`` expands to find it). The enhanced search ``/rest/api/3/search/jql`` returns only ids
unless ``fields`` is given, pages with ``nextPageToken``, and refuses unbounded JQL; the removed
``/rest/api/{2,3}/search`` answers 410 on Cloud with Jira's own body. Also: approximate count,
transitions, project search (Cloud ``/project/search`` pages; DC ``/project`` list), assignable
user search (Cloud ``query`` by name or email prefix; DC ``username``, also by user name). Data Center
mode serves REST v2 with wiki markup, ``startAt``/``total`` paging and PAT auth. Writes (create
issue, comment, transition, assign; ``simulators.jira.writes``) change the data and are listed
by ``writes()``. Nothing here is real.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Mapping
from importlib import resources
from typing import Any, Literal

from aiohttp import web

from simulators.base import SimulatedUpstream
from simulators.jira import jql
from simulators.jira.payloads import IssueRenderer
from simulators.jira.writes import JiraWrites, WriteRefused

Edition = Literal["cloud", "datacenter"]

REMOVED_SEARCH_MESSAGE = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)
NOT_AUTHENTICATED = "You are not authenticated. Authentication required to perform this operation."
ISSUE_NOT_FOUND = "Issue does not exist or you do not have permission to see it."
MAX_PAGE = 100


def load_seed() -> dict[str, Any]:
    """The packaged demo data (simulators/data/jira_issues.json)."""
    text = resources.files("simulators").joinpath("data/jira_issues.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


class JiraSimulator(SimulatedUpstream):
    """A SIMULATED Jira site. Credentials, when given, must match; otherwise any are accepted."""

    def __init__(
        self,
        *,
        seed: dict[str, Any] | None = None,
        edition: Edition = "cloud",
        email: str | None = None,
        api_token: str | None = None,
        pat: str | None = None,
        page_cap: int = 100,
        jira_software: bool = True,
    ) -> None:
        self.seed = copy.deepcopy(seed or load_seed())
        self.edition = edition
        self._basic = (email, api_token) if email and api_token else None
        self._pat = pat
        self.page_cap = page_cap  # the most issues one page holds, like Jira's field-dependent cap
        self.jira_software = jira_software  # False: a Jira Work Management site, no sprint field
        self._api = "/rest/api/3" if edition == "cloud" else "/rest/api/2"
        self._writer = JiraWrites(self.seed, wiki=edition == "datacenter")
        super().__init__()

    @property
    def issues(self) -> list[dict[str, Any]]:
        return list(self.seed["issues"])

    # -- planted text (prompt-injection tests) ------------------------------------------------

    def plant(self, key: str, text: str) -> None:
        """Add ``text`` to an issue's description, as anyone who may edit the issue could."""
        issue = self._seeded(key)
        document = issue.get("description") or {"type": "doc", "version": 1, "content": []}
        document["content"].append(_paragraph(text))
        issue["description"] = document

    def plant_comment(self, key: str, text: str, *, author: str = "Fox Mulder") -> None:
        """Add a comment saying ``text`` to an issue, by ``author`` (a user of the seed)."""
        comments = self._seeded(key).setdefault("comments", [])
        comments.append(
            {
                "id": f"299{len(comments):02d}",
                "author": author,
                "created": "2026-11-24T10:00:00.000+0000",
                "body": {"type": "doc", "version": 1, "content": [_paragraph(text)]},
            }
        )

    def _seeded(self, key: str) -> dict[str, Any]:
        issue: dict[str, Any] = next(issue for issue in self.seed["issues"] if issue["key"] == key)
        return issue

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get(f"{self._api}/issue/{{key}}", self._get_issue)
        router.add_get(f"{self._api}/issue/{{key}}/transitions", self._transitions)
        router.add_get(f"{self._api}/myself", self._myself)
        router.add_get(f"{self._api}/user/assignable/search", self._assignable_users)
        router.add_post(f"{self._api}/issue", self._create_issue)
        router.add_post(f"{self._api}/issue/{{key}}/comment", self._add_comment)
        router.add_post(f"{self._api}/issue/{{key}}/transitions", self._do_transition)
        router.add_put(f"{self._api}/issue/{{key}}/assignee", self._assign)
        if self.edition == "cloud":
            router.add_get("/rest/api/3/search/jql", self._search_jql)
            router.add_post("/rest/api/3/search/jql", self._search_jql)
            router.add_post("/rest/api/3/search/approximate-count", self._approximate_count)
            router.add_get("/rest/api/3/project/search", self._project_search)
            for version in ("2", "3", "latest"):
                router.add_route("*", f"/rest/api/{version}/search", self._removed_search)
        else:
            router.add_get("/rest/api/2/search", self._search_offset)
            router.add_post("/rest/api/2/search", self._search_offset)
            router.add_get("/rest/api/2/project", self._project_list)

    def error_body(self, status: int, message: str) -> dict[str, Any]:
        return {"errorMessages": [message], "errors": {}}

    def check_auth(self, request: web.Request) -> web.Response | None:
        header = request.headers.get("Authorization", "")
        scheme, _, credential = header.partition(" ")
        if scheme == "Basic" and credential and self._basic_ok(credential):
            return None
        if scheme == "Bearer" and credential and (self._pat is None or credential == self._pat):
            return None
        return self.json_error(
            401, NOT_AUTHENTICATED, headers={"WWW-Authenticate": 'Basic realm="protected-area"'}
        )

    def _basic_ok(self, credential: str) -> bool:
        if self._basic is None:
            return True
        try:
            email, _, token = base64.b64decode(credential).decode().partition(":")
        except ValueError:
            return False
        return (email, token) == self._basic

    def _renderer(self, request: web.Request) -> IssueRenderer:
        return IssueRenderer(
            self.seed,
            base_url=str(request.url.origin()),
            wiki=self.edition == "datacenter",
            software=self.jira_software,
        )

    def _find(self, key: str) -> dict[str, Any] | None:
        # Like Jira, an issue moved to another project still answers to its old key.
        wanted = key.upper()
        return next(
            (
                issue
                for issue in self.seed["issues"]
                if wanted in (issue["key"], issue["id"], *issue.get("previous_keys", []))
            ),
            None,
        )

    async def _get_issue(self, request: web.Request) -> web.Response:
        issue = self._find(request.match_info["key"])
        if issue is None:
            return self.json_error(404, ISSUE_NOT_FOUND)
        fields = _field_list(request.query.get("fields")) or ["*all"]
        expand = frozenset(_field_list(request.query.get("expand")))
        return web.json_response(self._renderer(request).issue(issue, fields, expand))

    async def _transitions(self, request: web.Request) -> web.Response:
        issue = self._find(request.match_info["key"])
        if issue is None:
            return self.json_error(404, ISSUE_NOT_FOUND)
        return web.json_response(self._renderer(request).transitions(issue))

    # -- writes ------------------------------------------------------------------------------

    async def _create_issue(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        try:
            issue = self._writer.create_issue(body)
        except WriteRefused as refused:
            return web.json_response(refused.body, status=refused.status)
        self.record_write("createIssue", issue["key"], body)
        created = {
            "id": issue["id"],
            "key": issue["key"],
            "self": f"{request.url.origin()}{self._api}/issue/{issue['id']}",
        }
        return web.json_response(created, status=201)

    async def _add_comment(self, request: web.Request) -> web.Response:
        issue = self._find(request.match_info["key"])
        if issue is None:
            return self.json_error(404, ISSUE_NOT_FOUND)
        body = await _json_body(request)
        try:
            comment = self._writer.add_comment(issue, body)
        except WriteRefused as refused:
            return web.json_response(refused.body, status=refused.status)
        self.record_write("addComment", issue["key"], body)
        return web.json_response(self._renderer(request).comment(issue, comment), status=201)

    async def _do_transition(self, request: web.Request) -> web.Response:
        issue = self._find(request.match_info["key"])
        if issue is None:
            return self.json_error(404, ISSUE_NOT_FOUND)
        body = await _json_body(request)
        try:
            self._writer.transition(issue, body)
        except WriteRefused as refused:
            return web.json_response(refused.body, status=refused.status)
        self.record_write("doTransition", issue["key"], body)
        return web.Response(status=204)

    async def _assign(self, request: web.Request) -> web.Response:
        issue = self._find(request.match_info["key"])
        if issue is None:
            return self.json_error(404, ISSUE_NOT_FOUND)
        body = await _json_body(request)
        try:
            self._writer.assign(issue, body)
        except WriteRefused as refused:
            return web.json_response(refused.body, status=refused.status)
        self.record_write("assignIssue", issue["key"], body)
        return web.Response(status=204)

    async def _approximate_count(self, request: web.Request) -> web.Response:
        params = await _search_params(request)
        try:
            matches = self._matching(params.get("jql"))
        except jql.JqlError as exc:
            return self.json_error(400, str(exc))
        return web.json_response({"count": len(matches)})

    async def _project_search(self, request: web.Request) -> web.Response:
        try:
            start = int(request.query.get("startAt") or 0)
            size = min(_page_size(request.query.get("maxResults"), default=50), self.page_cap)
        except (jql.JqlError, ValueError) as exc:
            return self.json_error(400, str(exc))
        projects = sorted(self.seed["projects"], key=lambda project: str(project["key"]))
        renderer = self._renderer(request)
        page = projects[start : start + size]
        is_last = start + size >= len(projects)
        body: dict[str, Any] = {
            "self": str(request.url),
            "maxResults": size,
            "startAt": start,
            "total": len(projects),
            "isLast": is_last,
            "values": [renderer.project(project) for project in page],
        }
        if not is_last:
            body["nextPage"] = str(request.url.update_query(startAt=start + size))
        return web.json_response(body)

    async def _project_list(self, request: web.Request) -> web.Response:
        renderer = self._renderer(request)
        return web.json_response([renderer.project(project) for project in self.seed["projects"]])

    async def _myself(self, request: web.Request) -> web.Response:
        return web.json_response(self._renderer(request).user(self.seed["service_account"]))

    async def _assignable_users(self, request: web.Request) -> web.Response:
        query = request.query
        missing = self._missing_assign_target(query)
        if missing is not None:
            return missing
        wiki = self.edition == "datacenter"
        text = query.get("username" if wiki else "query", "").strip().lower()
        account = "" if wiki else query.get("accountId", "")
        if not text and not account:
            needed = "'username'" if wiki else "'query' or 'accountId'"
            return self.json_error(400, f"The {needed} query parameter is required.")
        try:
            start, size = int(query.get("startAt") or 0), _page_size(query.get("maxResults"), default=50)
        except (ValueError, jql.JqlError) as exc:
            return self.json_error(400, str(exc))
        found = [user for user in self.seed["users"] if _user_matches(user, text, account, user_name=wiki)]
        renderer = self._renderer(request)
        return web.json_response([renderer.user(user["displayName"]) for user in found[start : start + size]])

    def _missing_assign_target(self, query: Mapping[str, str]) -> web.Response | None:
        """Jira needs the issue or project the people would be assigned in, and it must exist."""
        issue, project = query.get("issueKey") or query.get("issueId"), query.get("project")
        if issue:
            return None if self._find(issue) is not None else self.json_error(404, ISSUE_NOT_FOUND)
        if project:
            known = any(project in (p["key"], p["id"]) for p in self.seed["projects"])
            return None if known else self.json_error(404, f"No project could be found with key '{project}'.")
        return self.json_error(400, "One of 'issueKey', 'issueId' or 'project' is required.")

    async def _removed_search(self, request: web.Request) -> web.Response:
        return self.json_error(410, REMOVED_SEARCH_MESSAGE)

    async def _search_jql(self, request: web.Request) -> web.Response:
        params = await _search_params(request)
        try:
            matches = self._matching(params.get("jql"))
            offset = _decode_token(params.get("nextPageToken"))
            size = min(_page_size(params.get("maxResults"), default=50), self.page_cap)
        except jql.JqlError as exc:
            return self.json_error(400, str(exc))
        page = matches[offset : offset + size]
        renderer = self._renderer(request)
        fields = _field_list(params.get("fields"))
        body: dict[str, Any] = {
            "issues": [renderer.issue(issue, fields) if fields else {"id": issue["id"]} for issue in page],
            "isLast": offset + size >= len(matches),
        }
        if not body["isLast"]:
            body["nextPageToken"] = _encode_token(offset + size)
        return web.json_response(body)

    async def _search_offset(self, request: web.Request) -> web.Response:
        params = await _search_params(request)
        try:
            matches = self._matching(params.get("jql"))
            start = int(params.get("startAt") or 0)
            size = min(_page_size(params.get("maxResults"), default=50), self.page_cap)
        except (jql.JqlError, ValueError) as exc:
            return self.json_error(400, str(exc))
        renderer = self._renderer(request)
        fields = _field_list(params.get("fields")) or ["*navigable"]
        return web.json_response(
            {
                "expand": "names,schema",
                "startAt": start,
                "maxResults": size,
                "total": len(matches),
                "issues": [renderer.issue(issue, fields) for issue in matches[start : start + size]],
            }
        )

    def _matching(self, query: object) -> list[dict[str, Any]]:
        if not isinstance(query, str) or not query.strip():
            raise jql.JqlError(jql.UNBOUNDED)
        predicate = jql.parse(query, self._jql_context())
        return [issue for issue in self.seed["issues"] if predicate(issue)]

    def _jql_context(self) -> jql.Context:
        aliases: dict[str, str] = {}
        for user in self.seed["users"]:
            for alias in (user["accountId"], user["emailAddress"], user.get("name", "")):
                if alias:
                    aliases[alias] = user["displayName"]
        known = {
            "project": frozenset(project["key"].lower() for project in self.seed["projects"]),
            "status": frozenset(issue["status"].lower() for issue in self.seed["issues"]),
        }
        return jql.Context(current_user=self.seed["service_account"], aliases=aliases, known=known)


async def _json_body(request: web.Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        return None


async def _search_params(request: web.Request) -> dict[str, Any]:
    if request.method == "POST":
        body = await request.json()
        return body if isinstance(body, dict) else {}
    return dict(request.query)


def _user_matches(user: dict[str, Any], text: str, account: str, *, user_name: bool) -> bool:
    """Jira's user matching: the account id exactly; the text as a prefix of the display name, one
    of its words or the email address (and, on Data Center, the user name)."""
    if account and user["accountId"] != account:
        return False
    names = [user["displayName"], *user["displayName"].split(), user["emailAddress"]]
    if user_name:
        names.append(user.get("name", ""))
    return not text or any(name.lower().startswith(text) for name in names if name)


def _field_list(fields: object) -> list[str]:
    if isinstance(fields, list):
        return [str(name).strip() for name in fields if str(name).strip()]
    if isinstance(fields, str):
        return [name.strip() for name in fields.split(",") if name.strip()]
    return []


def _page_size(value: object, *, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        size = int(str(value))
    except ValueError:
        raise jql.JqlError(f"The value '{value}' is not valid for maxResults.") from None
    return max(1, min(size, MAX_PAGE))


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def _decode_token(token: object) -> int:
    if not token:
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(str(token)))["offset"]
        return max(0, int(offset))
    except (ValueError, KeyError, TypeError):
        raise jql.JqlError("The nextPageToken is invalid or has expired.") from None


def _paragraph(text: str) -> dict[str, Any]:
    return {"type": "paragraph", "content": [{"type": "text", "text": text}]}
