"""Error mapping and client construction shared by the Jira and GitHub clients."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from aiohttp import web

from integrations.errors import (
    BadRequest,
    NotFound,
    PermissionDenied,
    RateLimited,
    Timeout,
    Unavailable,
    UpstreamError,
)
from integrations.github import GitHubClient
from integrations.http import build_http_client, error_message, raise_for_status, request_json, send
from integrations.jira import JiraClient
from simulators.base import LocalServer
from simulators.github import GitHubSimulator
from simulators.jira import JiraSimulator
from tests.integrations.conftest import GITHUB_TOKEN, JIRA_EMAIL, JIRA_TOKEN, SleepRecorder


def _response(status: int, body: object = None, headers: dict[str, str] | None = None) -> httpx.Response:
    request = httpx.Request("GET", "https://upstream.test/thing")
    if body is None:
        return httpx.Response(status, headers=headers, request=request)
    return httpx.Response(status, json=body, headers=headers, request=request)


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, BadRequest),
        (401, PermissionDenied),
        (403, PermissionDenied),
        (404, NotFound),
        (410, NotFound),
        (413, BadRequest),
        (422, BadRequest),
        (429, RateLimited),
        (500, Unavailable),
        (503, Unavailable),
    ],
)
def test_status_codes_map_onto_the_error_tree(status: int, error: type[UpstreamError]) -> None:
    with pytest.raises(error) as caught:
        raise_for_status(_response(status), "jira")

    assert type(caught.value) is error
    assert caught.value.status == status
    assert caught.value.service == "jira"


def test_success_does_not_raise() -> None:
    raise_for_status(_response(200, {"ok": True}), "jira")
    raise_for_status(_response(204), "jira")


def test_jira_error_collection_surfaces_both_lists() -> None:
    body = {"errorMessages": ["Something failed."], "errors": {"project": "Project 'NOPE' does not exist."}}

    assert error_message(_response(400, body)) == "Something failed.; project: Project 'NOPE' does not exist."


def test_github_validation_error_surfaces_the_details() -> None:
    body = {
        "message": "Validation Failed",
        "errors": [{"resource": "Search", "field": "q", "code": "missing"}],
        "documentation_url": "https://docs.github.com/rest",
    }

    assert error_message(_response(422, body)) == "Validation Failed; missing"


def test_error_without_json_body_uses_the_reason_phrase() -> None:
    assert error_message(_response(502)) == "Bad Gateway"


def test_long_upstream_messages_are_cut() -> None:
    message = error_message(_response(400, {"errorMessages": ["x" * 5000]}))

    assert len(message) == 300 and message.endswith("…")


def test_rate_limited_carries_retry_after() -> None:
    with pytest.raises(RateLimited) as caught:
        raise_for_status(_response(429, headers={"Retry-After": "42"}), "jira")

    assert caught.value.retry_after == 42.0


async def test_client_has_a_timeout_and_the_given_headers() -> None:
    client = build_http_client(
        service="github", base_url="https://api.github.com", headers={"User-Agent": "test"}, timeout=3.0
    )
    async with client:
        assert client.timeout == httpx.Timeout(3.0)
        assert client.headers["User-Agent"] == "test"


@pytest.fixture
async def html_server() -> AsyncIterator[str]:
    async def page(request: web.Request) -> web.Response:
        return web.Response(text="<html>maintenance</html>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/page", page)
    async with LocalServer(app) as server:
        yield server.url


async def test_a_body_that_is_not_json_is_unavailable(html_server: str) -> None:
    async with build_http_client(service="jira", base_url=html_server, headers={}) as http:
        with pytest.raises(Unavailable, match="not JSON"):
            await request_json(http, "GET", "/page", service="jira")


async def test_secrets_never_reach_errors_or_logs(
    caplog: pytest.LogCaptureFixture, sleeps: SleepRecorder
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    async with JiraSimulator(email=JIRA_EMAIL, api_token="the-right-token") as jira_sim:
        async with JiraClient.create(
            jira_sim.url, email=JIRA_EMAIL, api_token=JIRA_TOKEN, sleep=sleeps
        ) as jira:
            with pytest.raises(PermissionDenied) as denied:
                await jira.get_issue("OPS-1")
            seen += [str(denied.value), repr(denied.value)]
            jira_sim.fail_next(503, times=3)
            with pytest.raises(Unavailable) as down:
                await jira.search("project = OPS")
            seen += [str(down.value), repr(down.value)]
    async with GitHubSimulator(token="the-right-token") as github_sim:
        async with GitHubClient.create(github_sim.url, token=GITHUB_TOKEN, sleep=sleeps) as github:
            with pytest.raises(PermissionDenied, match="Bad credentials") as bad:
                await github.get_issue("acme/payments", 40)
            seen += [str(bad.value), repr(bad.value)]
    ours = seen + [record.getMessage() for record in caplog.records if record.name.startswith("integrations")]
    everything = ours + [record.getMessage() for record in caplog.records]

    assert any("attempt" in line for line in ours), "attempts are logged at DEBUG"
    for line in ours:
        assert "Basic " not in line and "Bearer " not in line
    for line in everything:  # httpx/httpcore debug logs included
        assert JIRA_TOKEN not in line and GITHUB_TOKEN not in line


async def test_timeouts_have_their_own_retryable_type(
    github_sim: GitHubSimulator, sleeps: SleepRecorder
) -> None:
    github_sim.stall_next(30, times=3)
    client = build_http_client(
        service="github",
        base_url=github_sim.url,
        headers={"Authorization": f"Bearer {GITHUB_TOKEN}"},
        timeout=0.2,
        sleep=sleeps,
    )
    async with client:
        with pytest.raises(Timeout, match="timed out") as caught:
            await request_json(client, "GET", "/user", service="github")

    assert isinstance(caught.value, Unavailable) and caught.value.retryable


async def test_a_redirect_not_followed_is_handed_back(
    github_sim: GitHubSimulator, sleeps: SleepRecorder
) -> None:
    client = build_http_client(
        service="github",
        base_url=github_sim.url,
        headers={"Authorization": f"Bearer {GITHUB_TOKEN}"},
        sleep=sleeps,
    )
    async with client:
        response = await send(
            client,
            "GET",
            "/repos/acme/payments/actions/jobs/9100423/logs",
            service="github",
            follow_redirects=False,
        )

    assert response.status_code == 302 and "/_logs/" in response.headers["Location"]
