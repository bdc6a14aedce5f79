"""The SIMULATED GitHub's wire contract, checked with a plain HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from simulators.github import GitHubSimulator

HEAD_SHA = "6dcb09b5b57875f334f61aebed695e2e4193db5e"


@pytest.fixture
async def sim() -> AsyncIterator[GitHubSimulator]:
    async with GitHubSimulator() as running:
        yield running


@pytest.fixture
async def http(sim: GitHubSimulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sim.url, headers={"Authorization": "Bearer ghp_test"}) as client:
        yield client


async def numbers(http: httpx.AsyncClient, q: str) -> list[int]:
    response = await http.get("/search/issues", params={"q": q})
    assert response.status_code == 200, response.text
    return sorted(item["number"] for item in response.json()["items"])


@pytest.mark.parametrize("header", [{}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer"}])
async def test_no_token_is_401_with_githubs_body(sim: GitHubSimulator, header: dict[str, str]) -> None:
    async with httpx.AsyncClient(base_url=sim.url, headers=header) as anonymous:
        response = await anonymous.get("/repos/acme/payments/pulls/42")

    assert response.status_code == 401
    assert response.json() == {
        "message": "Requires authentication",
        "documentation_url": "https://docs.github.com/rest",
        "status": "401",
    }


async def test_token_scheme_is_accepted_too(sim: GitHubSimulator) -> None:
    async with httpx.AsyncClient(base_url=sim.url, headers={"Authorization": "token ghp_x"}) as client:
        assert (await client.get("/user")).status_code == 200


async def test_configured_token_must_match() -> None:
    async with GitHubSimulator(token="ghp_right") as sim:
        async with httpx.AsyncClient(
            base_url=sim.url, headers={"Authorization": "Bearer ghp_wrong"}
        ) as client:
            response = await client.get("/user")

    assert response.status_code == 401
    assert response.json()["message"] == "Bad credentials"


async def test_rate_limit_headers_count_down_per_resource(http: httpx.AsyncClient) -> None:
    first = await http.get("/repos/acme/payments/issues/40")
    second = await http.get("/repos/acme/payments/issues/40")
    search = await http.get("/search/issues", params={"q": "retry"})

    assert first.headers["x-ratelimit-limit"] == "5000"
    assert int(first.headers["x-ratelimit-remaining"]) - int(second.headers["x-ratelimit-remaining"]) == 1
    assert first.headers["x-ratelimit-resource"] == "core"
    assert (search.headers["x-ratelimit-resource"], search.headers["x-ratelimit-limit"]) == ("search", "30")
    assert int(first.headers["x-ratelimit-reset"]) > 0


async def test_pull_request_shape(http: httpx.AsyncClient, sim: GitHubSimulator) -> None:
    body = (await http.get("/repos/acme/payments/pulls/42")).json()

    assert body["url"] == f"{sim.url}/repos/acme/payments/pulls/42"
    assert body["html_url"] == "https://github.com/acme/payments/pull/42"
    assert body["head"]["sha"] == HEAD_SHA and body["head"]["ref"] == "fix/idempotency-retry"
    assert body["base"]["repo"]["full_name"] == "acme/payments"
    assert [user["login"] for user in body["requested_reviewers"]] == ["fmulder"]
    assert (body["state"], body["draft"], body["merged"]) == ("open", False, False)


async def test_pull_requests_are_issues_with_a_pull_request_key(http: httpx.AsyncClient) -> None:
    pull_as_issue = (await http.get("/repos/acme/payments/issues/42")).json()
    issue = (await http.get("/repos/acme/payments/issues/40")).json()

    assert pull_as_issue["pull_request"]["html_url"] == "https://github.com/acme/payments/pull/42"
    assert "pull_request" not in issue
    assert [label["name"] for label in issue["labels"]] == ["bug", "payments"]


@pytest.mark.parametrize(
    "path", ["/repos/acme/payments/pulls/40", "/repos/acme/payments/issues/7", "/repos/acme/nope/pulls/42"]
)
async def test_missing_things_are_404_like_github(http: httpx.AsyncClient, path: str) -> None:
    response = await http.get(path)

    assert response.status_code == 404
    body = response.json()
    assert (body["message"], body["status"]) == ("Not Found", "404")
    assert body["documentation_url"].startswith("https://docs.github.com/rest/")


@pytest.mark.parametrize("ref", [HEAD_SHA, "fix/idempotency-retry"])
async def test_check_runs_by_sha_or_branch(http: httpx.AsyncClient, ref: str) -> None:
    body = (await http.get(f"/repos/acme/payments/commits/{ref}/check-runs")).json()

    assert body["total_count"] == 3
    failing = [run for run in body["check_runs"] if run["conclusion"] == "failure"]
    assert [run["name"] for run in failing] == ["integration-tests"]
    assert failing[0]["head_sha"] == HEAD_SHA
    assert "found 2" in failing[0]["output"]["summary"]


async def test_check_runs_of_an_unknown_ref_are_422(http: httpx.AsyncClient) -> None:
    response = await http.get("/repos/acme/payments/commits/deadbeef/check-runs")

    assert response.status_code == 422
    assert response.json()["message"] == "No commit found for SHA: deadbeef"


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("repo:acme/payments", [38, 40, 42]),
        ("repo:acme/payments is:pr", [38, 42]),
        ("repo:acme/payments is:issue", [40]),
        ("is:pr is:open", [42]),
        ("is:closed", [38]),
        ("is:pr is:merged", [38]),
        ("type:issue state:open", [40]),
        ("label:payments", [40]),
        ("author:dscully", [42]),
        ("assignee:dscully is:open", [40, 42]),
        ("feature flag", [38]),
        ('"idempotency key" in:title,body', [42]),
        ("OPS-1", [40, 42]),
        ("nothing-matches-this", []),
    ],
)
async def test_search_qualifiers(http: httpx.AsyncClient, q: str, expected: list[int]) -> None:
    assert await numbers(http, q) == expected


async def test_search_items_look_like_githubs(http: httpx.AsyncClient) -> None:
    body = (await http.get("/search/issues", params={"q": "repo:acme/payments", "per_page": 2})).json()

    assert (body["total_count"], body["incomplete_results"], len(body["items"])) == (3, False, 2)
    assert all(
        "score" in item and item["repository_url"].endswith("/repos/acme/payments") for item in body["items"]
    )


async def test_search_without_q_is_a_validation_error(http: httpx.AsyncClient) -> None:
    response = await http.get("/search/issues")

    assert response.status_code == 422
    assert response.json()["errors"] == [{"resource": "Search", "field": "q", "code": "missing"}]


async def test_fail_next_keeps_scripted_headers_over_the_defaults(
    http: httpx.AsyncClient, sim: GitHubSimulator
) -> None:
    sim.fail_next(403, headers={"x-ratelimit-remaining": "0"}, body={"message": "API rate limit exceeded"})

    limited = await http.get("/user")
    normal = await http.get("/user")

    assert limited.status_code == 403
    assert limited.headers["x-ratelimit-remaining"] == "0"
    assert limited.json() == {"message": "API rate limit exceeded"}
    assert normal.status_code == 200 and normal.json()["login"] == "acme-chatops"
    assert [request.path for request in sim.requests] == ["/user", "/user"]
    assert sim.requests[0].headers["Authorization"] == "Bearer <redacted>"


async def test_unknown_routes_answer_in_githubs_error_format(http: httpx.AsyncClient) -> None:
    response = await http.get("/repos/acme/payments/actions/runs")

    assert response.status_code == 404
    assert response.json()["message"] == "Not Found"
