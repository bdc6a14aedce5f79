"""SIMULATED GitHub REST API serving the acme/payments demo repository.

Routes: pulls (list, get, reviews, files), issues/{n} (pull requests are issues too),
commits/{ref} (a SHA, a unique prefix or a branch) with its check-runs and /status,
compare/{base}...{head}, Actions runs, jobs and job logs (a 302 to a signed plain-text log URL
that refuses an Authorization header, like blob storage), search/issues, /user and a GitHub
App's POST /app/installations/{id}/access_tokens. Writes (``simulators.github.writes``): POST
issues, issue comments and rerun-failed-jobs change the data and are listed by ``writes()``.

Like GitHub: lists page by ``per_page``/``page`` with a ``Link`` header (``max_per_page`` can be
lowered to force several pages); GETs carry an ``ETag`` and answer ``If-None-Match`` with a 304
that does not count against the quota (only 2xx answers do); every answer carries
``x-ratelimit-*`` headers; errors use GitHub's ``{message, documentation_url, status}`` body.
``fail_next`` scripts faults; ``secondary_limit_next`` and ``exhaust_rate_limit_next`` script
GitHub's two kinds of rate limit. Nothing here is real.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import time
from collections.abc import Callable
from importlib import resources
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from simulators.base import SimulatedUpstream
from simulators.github.app import AppRegistration, InstallationTokens, JwtRejected
from simulators.github.payloads import GitHubRenderer
from simulators.github.search import Search
from simulators.github.writes import GitHubWrites, WriteRefused

DOCS = "https://docs.github.com/rest"
CORE_LIMIT = 5000
SEARCH_LIMIT = 30
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 30
MIN_SHA_PREFIX = 4  # git's shortest abbreviation
LOG_URL_SECONDS = 60  # GitHub: the redirect URL for a job log expires after one minute
SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID."
)

Item = dict[str, Any]


def load_seed() -> dict[str, Any]:
    """The packaged demo data (simulators/data/github.json)."""
    text = resources.files("simulators").joinpath("data/github.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


class GitHubSimulator(SimulatedUpstream):
    """A SIMULATED api.github.com.

    A configured ``token`` must match; with an ``app``, tokens it issued are accepted until they
    expire on ``clock``; with neither, any bearer token is accepted.
    """

    def __init__(
        self,
        *,
        seed: dict[str, Any] | None = None,
        token: str | None = None,
        app: AppRegistration | None = None,
        clock: Callable[[], float] = time.time,
        max_per_page: int = MAX_PER_PAGE,
        log_preamble_lines: int = 200,
    ) -> None:
        self.seed = copy.deepcopy(seed or load_seed())
        self._token = token
        self.installations = InstallationTokens(app, clock=clock) if app else None
        self.clock = clock
        self.max_per_page = max_per_page
        self.log_preamble_lines = log_preamble_lines
        self.used = {"core": 0, "search": 0}
        self.installation_token_uses: list[str] = []  # which issued token each request used
        self._reset = int(time.time()) + 3600
        self._writer = GitHubWrites(self.seed, clock=clock)
        super().__init__()
        self.app.on_response_prepare.append(self._rate_headers)

    # -- wiring ------------------------------------------------------------------------------

    def add_routes(self, router: web.UrlDispatcher) -> None:
        repo = "/repos/{owner}/{repo}"
        router.add_get(repo, self._get_repo)
        router.add_get(repo + "/pulls", self._list_pulls)
        router.add_get(repo + "/pulls/{number:\\d+}", self._get_pull)
        router.add_get(repo + "/pulls/{number:\\d+}/reviews", self._list_reviews)
        router.add_get(repo + "/pulls/{number:\\d+}/files", self._list_files)
        router.add_get(repo + "/issues/{number:\\d+}", self._get_issue)
        router.add_get(repo + "/commits/{ref:.+}/check-runs", self._check_runs)
        router.add_get(repo + "/commits/{ref:.+}/status", self._combined_status)
        router.add_get(repo + "/commits/{ref:.+}", self._get_commit)  # after the two above: refs hold "/"
        router.add_get(repo + "/compare/{basehead:.+}", self._compare)
        router.add_get(repo + "/actions/runs", self._list_runs)
        router.add_get(repo + "/actions/runs/{run_id:\\d+}", self._get_run)
        router.add_get(repo + "/actions/runs/{run_id:\\d+}/jobs", self._list_jobs)
        router.add_get(repo + "/actions/jobs/{job_id:\\d+}/logs", self._job_logs)
        router.add_get("/_logs/{owner}/{repo}/jobs/{job_id:\\d+}", self._log_blob)
        router.add_post(repo + "/issues", self._create_issue)
        router.add_post(repo + "/issues/{number:\\d+}/comments", self._create_comment)
        router.add_post(repo + "/actions/runs/{run_id:\\d+}/rerun-failed-jobs", self._rerun_failed_jobs)
        router.add_get("/search/issues", self._search)
        router.add_get("/user", self._user)
        router.add_get("/rate_limit", self._rate_limit)
        router.add_post("/app/installations/{installation_id}/access_tokens", self._access_token)

    def extra_middlewares(self) -> list[Any]:
        return [self._conditional]

    def error_body(self, status: int, message: str) -> dict[str, Any]:
        return {"message": message, "documentation_url": DOCS, "status": str(status)}

    def check_auth(self, request: web.Request) -> web.Response | None:
        if request.path.startswith(("/_logs/", "/app/")):
            return None  # a signed URL, and the app's JWT: both checked by their handlers
        scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() not in ("bearer", "token") or not credential:
            return self.json_error(401, "Requires authentication")
        if self.installations is not None and self.installations.knows(credential):
            if not self.installations.valid(credential):
                return self.json_error(401, "Bad credentials")
            self.installation_token_uses.append(credential)
            return None
        if self._token is None and self.installations is None:
            return None
        if credential != self._token:
            return self.json_error(401, "Bad credentials")
        return None

    # -- scripted rate limits ----------------------------------------------------------------

    def secondary_limit_next(self, *, retry_after: int | None = None, status: int = 403) -> None:
        """Answer the next request as GitHub does when a secondary rate limit is hit."""
        headers = {"retry-after": str(retry_after)} if retry_after is not None else {}
        self.fail_next(status, headers=headers, body=self.error_body(status, SECONDARY_MESSAGE))

    def exhaust_rate_limit_next(self, *, reset_in: int, status: int = 403) -> None:
        """Answer the next request as GitHub does when the primary hourly quota is used up."""
        headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(time.time()) + reset_in)}
        body = self.error_body(status, "API rate limit exceeded for user ID 5099.")
        self.fail_next(status, headers=headers, body=body)

    # -- planted text (prompt-injection tests) ------------------------------------------------

    def plant(self, number: int, text: str, *, repo: str = "acme/payments") -> None:
        """Append ``text`` to the body of issue or pull request ``number``, as its author could."""
        (seeded,) = (r for r in self.seed["repos"] if r["full_name"] == repo)
        item = next(item for item in seeded["items"] if item["number"] == number)
        item["body"] = f"{item.get('body') or ''}\n\n{text}"

    def plant_log(self, job_id: int, text: str, *, repo: str = "acme/payments") -> None:
        """Append ``text``'s lines to a CI job's log, as the code under test could print them."""
        (seeded,) = (r for r in self.seed["repos"] if r["full_name"] == repo)
        found = self._job(seeded, job_id)
        if found is None:
            raise KeyError(f"no job {job_id} in {repo}")
        found[1]["log"] = [*found[1]["log"], *text.splitlines()]

    # -- lookups -----------------------------------------------------------------------------

    def _repo(self, request: web.Request) -> Item | None:
        full = f"{request.match_info['owner']}/{request.match_info['repo']}".lower()
        return next((repo for repo in self.seed["repos"] if repo["full_name"].lower() == full), None)

    def _renderer(self, request: web.Request) -> GitHubRenderer:
        return GitHubRenderer(self.seed, api=str(request.url.origin()))

    def _item(self, request: web.Request) -> tuple[Item, Item] | None:
        repo = self._repo(request)
        number = int(request.match_info["number"])
        item = next((item for item in repo["items"] if item["number"] == number), None) if repo else None
        return (repo, item) if repo and item else None

    def _pull(self, request: web.Request) -> tuple[Item, Item] | None:
        found = self._item(request)
        return found if found is not None and found[1]["kind"] == "pull" else None

    def _run(self, repo: Item, run_id: int) -> Item | None:
        return next((run for run in repo.get("workflow_runs", []) if run["id"] == run_id), None)

    def _job(self, repo: Item, job_id: int) -> tuple[Item, Item] | None:
        for run in repo.get("workflow_runs", []):
            for job in run["jobs"]:
                if job["id"] == job_id:
                    return run, job
        return None

    # -- pull requests and issues ------------------------------------------------------------

    async def _list_pulls(self, request: web.Request) -> web.Response:
        repo = self._repo(request)
        if repo is None:
            return self._not_found("pulls/pulls#list-pull-requests")
        state = request.query.get("state", "open")
        if state not in ("open", "closed", "all"):
            return self._validation_failed("state", "invalid")
        pulls = [item for item in repo["items"] if item["kind"] == "pull" and state in ("all", item["state"])]
        pulls.sort(key=lambda item: item["created_at"], reverse=True)  # GitHub's default: newest first
        renderer = self._renderer(request)
        return self._paged(request, [renderer.pull(repo, item) for item in pulls])

    async def _get_pull(self, request: web.Request) -> web.Response:
        found = self._pull(request)
        if found is None:
            return self._not_found("pulls/pulls#get-a-pull-request")
        return web.json_response(self._renderer(request).pull(*found))

    async def _list_reviews(self, request: web.Request) -> web.Response:
        found = self._pull(request)
        if found is None:
            return self._not_found("pulls/reviews#list-reviews-for-a-pull-request")
        repo, item = found
        renderer = self._renderer(request)
        return self._paged(
            request, [renderer.review(repo, item, review) for review in item.get("reviews", [])]
        )

    async def _list_files(self, request: web.Request) -> web.Response:
        found = self._pull(request)
        if found is None:
            return self._not_found("pulls/pulls#list-pull-requests-files")
        repo, item = found
        renderer = self._renderer(request)
        return self._paged(request, [renderer.file(repo, item["head_sha"], f) for f in item.get("files", [])])

    async def _get_issue(self, request: web.Request) -> web.Response:
        found = self._item(request)
        if found is None:
            return self._not_found("issues/issues#get-an-issue")
        return web.json_response(self._renderer(request).issue(*found))

    # -- commit state ------------------------------------------------------------------------

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
        return self._paged(request, runs, key="check_runs")

    async def _combined_status(self, request: web.Request) -> web.Response:
        repo = self._repo(request)
        if repo is None:
            return self._not_found("commits/statuses#get-the-combined-status-for-a-specific-reference")
        sha = _resolve_ref(repo, request.match_info["ref"])
        if sha is None:
            return self._not_found("commits/statuses#get-the-combined-status-for-a-specific-reference")
        statuses = repo.get("statuses", {}).get(sha, [])
        return web.json_response(self._renderer(request).combined_status(repo, sha, statuses))

    async def _get_commit(self, request: web.Request) -> web.Response:
        repo = self._repo(request)
        found = _known_commit(repo, request.match_info["ref"]) if repo else None
        if repo is None or found is None:
            return self._not_found("commits/commits#get-a-commit")
        commit, parent, files = found
        return web.json_response(self._renderer(request).commit_with_changes(repo, commit, parent, files))

    async def _compare(self, request: web.Request) -> web.Response:
        repo = self._repo(request)
        base, dots, head = request.match_info["basehead"].partition("...")
        if repo is None or not dots:
            return self._not_found("commits/commits#compare-two-commits")
        base_sha, head_sha = _resolve_ref(repo, base), _resolve_ref(repo, head)
        if base_sha is None or head_sha is None:
            return self._not_found("commits/commits#compare-two-commits")
        main = {repo["main_sha"]}
        pulls = {item["head_sha"]: item for item in repo["items"] if item["kind"] == "pull"}
        base_commit = _commit_of(repo, base_sha)
        ahead: list[Item] = []
        behind: list[Item] = []
        files: list[Item] = []
        if base_sha == head_sha:
            status = "identical"
        elif base_sha in main and head_sha in pulls:
            pull = pulls[head_sha]
            status, ahead, files = "ahead", pull.get("commits", []), pull.get("files", [])
        elif head_sha in main and base_sha in pulls:
            status, behind = "behind", pulls[base_sha].get("commits", [])
        else:
            return self._not_found("commits/commits#compare-two-commits")
        body = self._renderer(request).comparison(
            repo,
            request.match_info["basehead"],
            status=status,
            base_commit=base_commit,
            ahead=ahead,
            behind=behind,
            files=files,
        )
        return web.json_response(body)

    # -- Actions -----------------------------------------------------------------------------

    async def _list_runs(self, request: web.Request) -> web.Response:
        repo = self._repo(request)
        if repo is None:
            return self._not_found("actions/workflow-runs#list-workflow-runs-for-a-repository")
        filters = {
            key: request.query[key]
            for key in ("branch", "head_sha", "status", "event")
            if key in request.query
        }
        runs = [run for run in repo.get("workflow_runs", []) if _run_matches(run, filters)]
        runs.sort(key=lambda run: run["created_at"], reverse=True)
        renderer = self._renderer(request)
        return self._paged(request, [renderer.workflow_run(repo, run) for run in runs], key="workflow_runs")

    async def _get_run(self, request: web.Request) -> web.Response:
        repo = self._repo(request)
        run = self._run(repo, int(request.match_info["run_id"])) if repo else None
        if repo is None or run is None:
            return self._not_found("actions/workflow-runs#get-a-workflow-run")
        return web.json_response(self._renderer(request).workflow_run(repo, run))

    async def _list_jobs(self, request: web.Request) -> web.Response:
        repo = self._repo(request)
        run = self._run(repo, int(request.match_info["run_id"])) if repo else None
        if repo is None or run is None:
            return self._not_found("actions/workflow-jobs#list-jobs-for-a-workflow-run")
        renderer = self._renderer(request)
        return self._paged(request, [renderer.job(repo, run, job) for job in run["jobs"]], key="jobs")

    async def _job_logs(self, request: web.Request) -> web.Response:
        repo = self._repo(request)
        job_id = int(request.match_info["job_id"])
        if repo is None or self._job(repo, job_id) is None:
            return self._not_found("actions/workflow-jobs#download-job-logs-for-a-workflow-run")
        expires = int(self.clock()) + LOG_URL_SECONDS
        path = f"/_logs/{repo['full_name']}/jobs/{job_id}"
        location = f"{request.url.origin()}{path}?se={expires}&sig={_signature(path, expires)}"
        return web.Response(status=302, headers={"Location": location})

    async def _log_blob(self, request: web.Request) -> web.Response:
        # Blob storage behind a signed URL: a second credential is an error, not a bonus.
        if "Authorization" in request.headers:
            return web.Response(status=400, text="Authorization header is not allowed with a signed URL")
        expires = request.query.get("se", "")
        if not expires.isdigit() or request.query.get("sig") != _signature(request.path, int(expires)):
            return web.Response(status=403, text="Signature did not match")
        if int(expires) < self.clock():
            return web.Response(status=403, text="Signed URL expired")
        repo = self._repo(request)
        found = self._job(repo, int(request.match_info["job_id"])) if repo else None
        if found is None:
            return web.Response(status=404, text="The specified blob does not exist.")
        text = self._renderer(request).job_log(found[1], preamble_lines=self.log_preamble_lines)
        return web.Response(text=text, content_type="text/plain")

    # -- writes ------------------------------------------------------------------------------

    async def _create_issue(self, request: web.Request) -> web.Response:
        repo = self._repo(request)
        if repo is None:
            return self._not_found("issues/issues#create-an-issue")
        body = await _json_body(request)
        try:
            item = self._writer.create_issue(repo, body)
        except WriteRefused as refused:
            return self._refused(refused)
        self.record_write("issues/create", f"{repo['full_name']}#{item['number']}", body)
        return web.json_response(self._renderer(request).issue(repo, item), status=201)

    async def _create_comment(self, request: web.Request) -> web.Response:
        found = self._item(request)
        if found is None:
            return self._not_found("issues/comments#create-an-issue-comment")
        repo, item = found
        body = await _json_body(request)
        try:
            comment = self._writer.comment(item, body)
        except WriteRefused as refused:
            return self._refused(refused)
        self.record_write("issues/create-comment", f"{repo['full_name']}#{item['number']}", body)
        return web.json_response(self._renderer(request).comment(repo, item, comment), status=201)

    async def _rerun_failed_jobs(self, request: web.Request) -> web.Response:
        repo = self._repo(request)
        run = self._run(repo, int(request.match_info["run_id"])) if repo else None
        if repo is None or run is None:
            return self._not_found("actions/workflow-runs#re-run-failed-jobs-from-a-workflow-run")
        body = await _json_body(request)
        try:
            self._writer.rerun_failed_jobs(run)
        except WriteRefused as refused:
            return self._refused(refused)
        self.record_write("actions/re-run-workflow-failed-jobs", f"{repo['full_name']} run {run['id']}", body)
        return web.json_response({}, status=201)

    def _refused(self, refused: WriteRefused) -> web.Response:
        body = self.error_body(refused.status, refused.message)
        if refused.errors:
            body["errors"] = refused.errors
        return web.json_response(body, status=refused.status)

    # -- search, user, app tokens ------------------------------------------------------------

    async def _search(self, request: web.Request) -> web.Response:
        query = request.query.get("q", "").strip()
        if not query:
            return self._validation_failed("q", "missing", resource="Search")
        try:
            matches = self._matching(query)
        except ValueError as exc:
            return self.json_error(422, str(exc))
        renderer = self._renderer(request)
        items = [{**renderer.issue(repo, item), "score": 1.0} for repo, item in matches]
        return self._paged(
            request,
            items,
            key="items",
            extra={"incomplete_results": False, "search_type": "lexical"},
            max_per_page=MAX_PER_PAGE,
        )

    async def _get_repo(self, request: web.Request) -> web.Response:
        repo = self._repo(request)
        if repo is None:
            return self._not_found("repos/repos#get-a-repository")
        return web.json_response(self._renderer(request).repo(repo))

    async def _user(self, request: web.Request) -> web.Response:
        return web.json_response(self._renderer(request).user(self.seed["viewer"]))

    async def _rate_limit(self, request: web.Request) -> web.Response:
        used = min(self.used["core"], CORE_LIMIT)
        core = {"limit": CORE_LIMIT, "remaining": CORE_LIMIT - used, "used": used, "reset": self._reset}
        return web.json_response({"resources": {"core": core}, "rate": core})

    async def _access_token(self, request: web.Request) -> web.Response:
        if self.installations is None:
            return self._not_found("apps/apps#create-an-installation-access-token-for-an-app")
        scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not credential:
            return self.json_error(401, "A JSON web token could not be decoded")
        try:
            self.installations.verify_jwt(credential)
        except JwtRejected as exc:
            return self.json_error(401, str(exc))
        if request.match_info["installation_id"] != self.installations.app.installation_id:
            return self._not_found("apps/apps#create-an-installation-access-token-for-an-app")
        token, expires_at = self.installations.issue()
        return web.json_response(self._renderer(request).access_token(token, expires_at), status=201)

    # -- shared answers ----------------------------------------------------------------------

    def _paged(
        self,
        request: web.Request,
        items: list[Any],
        *,
        key: str | None = None,
        extra: dict[str, Any] | None = None,
        max_per_page: int | None = None,
    ) -> web.Response:
        """One page of ``items`` with GitHub's ``Link`` header; wrapped under ``key`` when given."""
        try:
            per_page = int(request.query.get("per_page", str(DEFAULT_PER_PAGE)))
            page = int(request.query.get("page", "1"))
        except ValueError:
            return self._validation_failed("per_page", "invalid")
        per_page = max(1, min(per_page, max_per_page or self.max_per_page))
        page = max(1, page)
        last = max(1, math.ceil(len(items) / per_page))
        chosen = items[(page - 1) * per_page : page * per_page]
        links = _links(request, page, last, per_page)
        headers = {"Link": links} if links else None
        if key is None:
            return web.json_response(chosen, headers=headers)
        return web.json_response({"total_count": len(items), **(extra or {}), key: chosen}, headers=headers)

    def _validation_failed(self, field: str, code: str, *, resource: str = "Request") -> web.Response:
        body = self.error_body(422, "Validation Failed")
        body["errors"] = [{"resource": resource, "field": field, "code": code}]
        return web.json_response(body, status=422)

    def _not_found(self, doc: str) -> web.Response:
        return web.json_response(
            {
                "message": "Not Found",
                "documentation_url": f"https://docs.github.com/rest/{doc}",
                "status": "404",
            },
            status=404,
        )

    def _matching(self, query: str) -> list[tuple[Item, Item]]:
        search = Search.parse(query)
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

    @web.middleware
    async def _conditional(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """ETags on successful GETs; a matching ``If-None-Match`` gets an empty 304."""
        response = await handler(request)
        if request.method != "GET" or response.status != 200 or not isinstance(response, web.Response):
            return response
        body = response.body
        if not isinstance(body, bytes):
            return response
        etag = f'W/"{hashlib.sha256(body).hexdigest()[:32]}"'
        response.headers["ETag"] = etag
        asked = {tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")}
        if etag in asked:
            return web.Response(status=304, headers={"ETag": etag})
        return response

    async def _rate_headers(self, request: web.Request, response: web.StreamResponse) -> None:
        resource = "search" if request.path.startswith("/search/") else "core"
        limit = SEARCH_LIMIT if resource == "search" else CORE_LIMIT
        if 200 <= response.status < 300 and request.path != "/rate_limit":  # 304 and /rate_limit are free
            self.used[resource] += 1
        used = min(self.used[resource], limit)
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


async def _json_body(request: web.Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        return None


def _links(request: web.Request, page: int, last: int, per_page: int) -> str:
    def url(number: int) -> str:
        return str(request.url.update_query(per_page=str(per_page), page=str(number)))

    parts: list[str] = []
    if page < last:
        parts += [f'<{url(page + 1)}>; rel="next"', f'<{url(last)}>; rel="last"']
    if page > 1:
        parts += [f'<{url(page - 1)}>; rel="prev"', f'<{url(1)}>; rel="first"']
    return ", ".join(parts)


def _signature(path: str, expires: int) -> str:
    return hashlib.sha256(f"simulated-blob-key:{path}:{expires}".encode()).hexdigest()[:24]


def _run_matches(run: Item, filters: dict[str, str]) -> bool:
    fields = {"branch": "head_branch", "head_sha": "head_sha", "status": "status", "event": "event"}
    for key, value in filters.items():
        if key == "status" and value == run.get("conclusion"):
            continue  # GitHub's status filter also accepts a conclusion (failure, success ...)
        if run.get(fields[key]) != value:
            return False
    return True


def _commit_of(repo: Item, sha: str) -> Item:
    for commit in repo.get("main_commits", []):
        if commit["sha"] == sha:
            return dict(commit)
    for item in repo["items"]:
        for commit in item.get("commits", []):
            if commit["sha"] == sha:
                return dict(commit)
    return {"sha": sha, "message": "", "author": "acme-chatops", "date": "2026-11-01T00:00:00Z"}


def _known_commit(repo: Item, ref: str) -> tuple[Item, str | None, list[Item]] | None:
    """The seed commit ``ref`` names, with its parent and the files it changed; None if none or several."""
    sha = (_resolve_ref(repo, ref) or ref).lower()
    if len(sha) < MIN_SHA_PREFIX or any(c not in "0123456789abcdef" for c in sha):
        return None
    # Reversed, so that where the seed lists a SHA twice its first record (main's) is the one kept.
    commits = reversed(_seed_commits(repo))
    matches = {found[0]["sha"]: found for found in commits if found[0]["sha"].startswith(sha)}
    return next(iter(matches.values())) if len(matches) == 1 else None


def _seed_commits(repo: Item) -> list[tuple[Item, str | None, list[Item]]]:
    """Every commit of main and of the pull requests, each with its parent and changed files.

    A commit's files are its own ``files`` when the seed gives them, else its pull request's when
    the pull request is that one commit (a pull's files are those of all its commits together).
    """
    main = repo.get("main_commits", [])
    found = [(c, main[i - 1]["sha"] if i else None, c.get("files", [])) for i, c in enumerate(main)]
    for item in repo["items"]:
        commits = item.get("commits", []) if item["kind"] == "pull" else []
        whole = item.get("files", []) if len(commits) == 1 else []
        parents = [repo["main_sha"], *(c["sha"] for c in commits)]
        found += [(c, parents[i], c.get("files") or whole) for i, c in enumerate(commits)]
    return found


def _resolve_ref(repo: Item, ref: str) -> str | None:
    if ref in repo["check_runs"] or ref == repo["main_sha"]:
        return ref
    if ref == repo["default_branch"]:
        return str(repo["main_sha"])
    heads = {item["head"]: item["head_sha"] for item in repo["items"] if item["kind"] == "pull"}
    shas = set(heads.values())
    if ref in shas:
        return ref
    return heads.get(ref)
