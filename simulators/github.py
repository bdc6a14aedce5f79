"""SIMULATED GitHub REST API serving the acme/payments demo repository.

Routes: pulls/{n}, issues/{n} (pull requests are issues too, with a ``pull_request`` key),
commits/{ref}/check-runs, search/issues (words plus ``repo:``, ``is:``, ``type:``, ``state:``,
``author:``, ``label:`` qualifiers) and /user. Every answer carries ``x-ratelimit-*`` headers;
errors use GitHub's ``{message, documentation_url, status}`` body. Nothing here is real.
"""

from __future__ import annotations

import copy
import json
import re
import shlex
import time
from importlib import resources
from typing import Any

from aiohttp import web

from simulators.github_payloads import GitHubRenderer
from simulators.upstream import SimulatedUpstream

DOCS = "https://docs.github.com/rest"
CORE_LIMIT = 5000
SEARCH_LIMIT = 30
MAX_PER_PAGE = 100


def load_seed() -> dict[str, Any]:
    """The packaged demo data (simulators/data/github.json)."""
    text = resources.files("simulators").joinpath("data/github.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


class GitHubSimulator(SimulatedUpstream):
    """A SIMULATED api.github.com. A configured ``token`` must match; otherwise any is accepted."""

    def __init__(self, *, seed: dict[str, Any] | None = None, token: str | None = None) -> None:
        self.seed = copy.deepcopy(seed or load_seed())
        self._token = token
        self._used = {"core": 0, "search": 0}
        self._reset = int(time.time()) + 3600
        super().__init__()
        self.app.on_response_prepare.append(self._rate_headers)

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/repos/{owner}/{repo}/pulls/{number:\\d+}", self._get_pull)
        router.add_get("/repos/{owner}/{repo}/issues/{number:\\d+}", self._get_issue)
        router.add_get("/repos/{owner}/{repo}/commits/{ref:.+}/check-runs", self._check_runs)
        router.add_get("/search/issues", self._search)
        router.add_get("/user", self._user)

    def error_body(self, status: int, message: str) -> dict[str, Any]:
        return {"message": message, "documentation_url": DOCS, "status": str(status)}

    def check_auth(self, request: web.Request) -> web.Response | None:
        scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() not in ("bearer", "token") or not credential:
            return self.json_error(401, "Requires authentication")
        if self._token is not None and credential != self._token:
            return self.json_error(401, "Bad credentials")
        return None

    def _repo(self, request: web.Request) -> dict[str, Any] | None:
        full = f"{request.match_info['owner']}/{request.match_info['repo']}".lower()
        return next((repo for repo in self.seed["repos"] if repo["full_name"].lower() == full), None)

    def _renderer(self, request: web.Request) -> GitHubRenderer:
        return GitHubRenderer(self.seed, api=str(request.url.origin()))

    def _item(self, request: web.Request) -> tuple[dict[str, Any], dict[str, Any]] | None:
        repo = self._repo(request)
        number = int(request.match_info["number"])
        item = next((item for item in repo["items"] if item["number"] == number), None) if repo else None
        return (repo, item) if repo and item else None

    async def _get_pull(self, request: web.Request) -> web.Response:
        found = self._item(request)
        if found is None or found[1]["kind"] != "pull":
            return self._not_found("pulls/pulls#get-a-pull-request")
        return web.json_response(self._renderer(request).pull(*found))

    async def _get_issue(self, request: web.Request) -> web.Response:
        found = self._item(request)
        if found is None:
            return self._not_found("issues/issues#get-an-issue")
        return web.json_response(self._renderer(request).issue(*found))

    async def _check_runs(self, request: web.Request) -> web.Response:
        repo = self._repo(request)
        if repo is None:
            return self._not_found("checks/runs#list-check-runs-for-a-git-reference")
        sha = _resolve_ref(repo, request.match_info["ref"])
        if sha is None:
            return self.json_error(422, f"No commit found for SHA: {request.match_info['ref']}")
        renderer = self._renderer(request)
        runs = [renderer.check_run(repo, sha, run) for run in repo["check_runs"].get(sha, [])]
        name = request.query.get("check_name")
        runs = [run for run in runs if name is None or run["name"] == name]
        return web.json_response({"total_count": len(runs), "check_runs": runs})

    async def _search(self, request: web.Request) -> web.Response:
        query = request.query.get("q", "").strip()
        if not query:
            body = self.error_body(422, "Validation Failed")
            body["errors"] = [{"resource": "Search", "field": "q", "code": "missing"}]
            return web.json_response(body, status=422)
        try:
            matches = self._matching(query)
            per_page = max(1, min(int(request.query.get("per_page", "30")), MAX_PER_PAGE))
            page = max(1, int(request.query.get("page", "1")))
        except ValueError as exc:
            return self.json_error(422, str(exc))
        renderer = self._renderer(request)
        chosen = matches[(page - 1) * per_page : page * per_page]
        items = [{**renderer.issue(repo, item), "score": 1.0} for repo, item in chosen]
        return web.json_response({"total_count": len(matches), "incomplete_results": False, "items": items})

    async def _user(self, request: web.Request) -> web.Response:
        return web.json_response(self._renderer(request).user(self.seed["viewer"]))

    def _not_found(self, doc: str) -> web.Response:
        return web.json_response(
            {
                "message": "Not Found",
                "documentation_url": f"https://docs.github.com/rest/{doc}",
                "status": "404",
            },
            status=404,
        )

    def _matching(self, query: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        search = _Search.parse(query)
        known = {repo["full_name"].lower() for repo in self.seed["repos"]}
        if any(name not in known for name in search.repos):
            raise ValueError(
                "The listed users and repositories cannot be searched either because the resources "
                "do not exist or you do not have permission to view them."
            )
        found = [
            (repo, item)
            for repo in self.seed["repos"]
            for item in repo["items"]
            if search.matches(repo, item)
        ]
        return sorted(found, key=lambda pair: pair[1]["updated_at"], reverse=True)

    async def _rate_headers(self, request: web.Request, response: web.StreamResponse) -> None:
        resource = "search" if request.path.startswith("/search/") else "core"
        limit = SEARCH_LIMIT if resource == "search" else CORE_LIMIT
        self._used[resource] += 1
        used = min(self._used[resource], limit)
        defaults = {
            "x-ratelimit-limit": str(limit),
            "x-ratelimit-remaining": str(limit - used),
            "x-ratelimit-used": str(used),
            "x-ratelimit-reset": str(self._reset),
            "x-ratelimit-resource": resource,
            "x-github-api-version-selected": request.headers.get("X-GitHub-Api-Version", "2022-11-28"),
            "x-github-media-type": "github.v3; format=json",
        }
        for name, value in defaults.items():
            response.headers.setdefault(name, value)


def _resolve_ref(repo: dict[str, Any], ref: str) -> str | None:
    if ref in repo["check_runs"] or ref == repo["main_sha"]:
        return ref
    if ref == repo["default_branch"]:
        return str(repo["main_sha"])
    heads = {item["head"]: item["head_sha"] for item in repo["items"] if item["kind"] == "pull"}
    return heads.get(ref)


class _Search:
    """A parsed ``q``: free words (all must appear in title or body) and qualifiers."""

    def __init__(self, words: list[str], qualifiers: list[tuple[str, str]]) -> None:
        self.words = words
        self.qualifiers = qualifiers
        self.repos = [value.lower() for key, value in qualifiers if key == "repo"]

    @classmethod
    def parse(cls, query: str) -> _Search:
        try:
            parts = shlex.split(query)
        except ValueError:
            parts = query.split()
        words: list[str] = []
        qualifiers: list[tuple[str, str]] = []
        for part in parts:
            key, sep, value = part.partition(":")
            if sep and value and key.isalpha():
                qualifiers.append((key.lower(), value))
            else:
                words.extend(re.findall(r"\w+", part.lower()))
        return cls(words, qualifiers)

    def matches(self, repo: dict[str, Any], item: dict[str, Any]) -> bool:
        text = set(re.findall(r"\w+", f"{item['title']} {item.get('body', '')}".lower()))
        if not all(word in text for word in self.words):
            return False
        return all(_qualifier_holds(key, value, repo, item) for key, value in self.qualifiers)


def _qualifier_holds(key: str, value: str, repo: dict[str, Any], item: dict[str, Any]) -> bool:
    value = value.lower()
    facts: dict[str, set[str]] = {
        "repo": {repo["full_name"].lower()},
        "org": {repo["full_name"].split("/")[0].lower()},
        "is": {
            "pr" if item["kind"] == "pull" else "issue",
            item["state"],
            "merged" if item.get("merged") else "unmerged",
            "draft" if item.get("draft") else "ready",
        },
        "type": {"pr" if item["kind"] == "pull" else "issue"},
        "state": {item["state"]},
        "author": {item["author"].lower()},
        "label": {label.lower() for label in item.get("labels", [])},
        "assignee": {login.lower() for login in item.get("assignees", [])},
    }
    if key not in facts:
        return True  # qualifiers the simulator does not model (in:, sort:, ...) do not filter
    aliases = {"pull-request": "pr", "pull_request": "pr"}
    return aliases.get(value, value) in facts[key]
