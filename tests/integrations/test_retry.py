"""The retrying transport, driven through real HTTP against the simulators on loopback."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.utils import format_datetime

import httpx
import pytest
from aiohttp import web

from integrations.errors import NotFound, RateLimited, Unavailable
from integrations.http import build_http_client, request_json
from integrations.retry import RetryingTransport, RetryPolicy, retry_after
from simulators.github import GitHubSimulator
from simulators.jira import JiraSimulator
from simulators.server import LocalServer
from tests.integrations.conftest import GITHUB_TOKEN, JIRA_EMAIL, JIRA_TOKEN, SleepRecorder


@pytest.fixture
async def http(github_sim: GitHubSimulator, sleeps: SleepRecorder) -> AsyncIterator[httpx.AsyncClient]:
    client = build_http_client(
        service="github",
        base_url=github_sim.url,
        headers={"Authorization": f"Bearer {GITHUB_TOKEN}"},
        timeout=0.5,
        sleep=sleeps,
    )
    async with client:
        yield client


async def get_user(http: httpx.AsyncClient) -> object:
    return await request_json(http, "GET", "/user", service="github")


async def test_503_twice_then_200_takes_three_attempts(
    http: httpx.AsyncClient, github_sim: GitHubSimulator, sleeps: SleepRecorder
) -> None:
    github_sim.fail_next(503, times=2)

    user = await get_user(http)

    assert isinstance(user, dict) and user["login"] == "acme-chatops"
    assert len(github_sim.requests_to("/user")) == 3
    assert len(sleeps.calls) == 2


async def test_500_is_not_retried_but_502_503_504_are(
    http: httpx.AsyncClient, github_sim: GitHubSimulator, sleeps: SleepRecorder
) -> None:
    github_sim.fail_next(500)

    with pytest.raises(Unavailable):
        await get_user(http)

    assert len(github_sim.requests) == 1
    for status in (502, 503, 504):
        github_sim.fail_next(status)
        await get_user(http)
    assert len(github_sim.requests) == 1 + 3 * 2


async def test_429_retry_after_seconds_is_what_we_wait(
    http: httpx.AsyncClient, github_sim: GitHubSimulator, sleeps: SleepRecorder
) -> None:
    github_sim.fail_next(429, headers={"Retry-After": "2"})

    await get_user(http)

    assert sleeps.calls == [2.0]
    assert len(github_sim.requests) == 2


async def test_retry_after_longer_than_the_cap_raises_rate_limited_without_sleeping(
    http: httpx.AsyncClient, github_sim: GitHubSimulator, sleeps: SleepRecorder
) -> None:
    github_sim.fail_next(429, headers={"Retry-After": "120"})

    with pytest.raises(RateLimited) as caught:
        await get_user(http)

    assert caught.value.retry_after == 120.0
    assert caught.value.retryable
    assert sleeps.calls == []
    assert len(github_sim.requests) == 1


async def test_github_rate_limit_403_waits_until_reset(
    http: httpx.AsyncClient, github_sim: GitHubSimulator, sleeps: SleepRecorder
) -> None:
    reset = int(datetime.now(UTC).timestamp()) + 3
    github_sim.fail_next(
        403,
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)},
        body={
            "message": "API rate limit exceeded for user ID 5099.",
            "documentation_url": "https://docs.github.com",
        },
    )

    await get_user(http)

    assert len(sleeps.calls) == 1 and 0 < sleeps.calls[0] <= 3
    assert len(github_sim.requests) == 2


async def test_github_rate_limit_403_far_from_reset_is_rate_limited(
    http: httpx.AsyncClient, github_sim: GitHubSimulator, sleeps: SleepRecorder
) -> None:
    reset = int(datetime.now(UTC).timestamp()) + 1800
    github_sim.fail_next(403, headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)})

    with pytest.raises(RateLimited) as caught:
        await get_user(http)

    assert caught.value.status == 403
    assert caught.value.retry_after is not None and caught.value.retry_after > 1000


async def test_plain_403_is_not_retried(
    http: httpx.AsyncClient, github_sim: GitHubSimulator, sleeps: SleepRecorder
) -> None:
    github_sim.fail_next(403, body={"message": "Resource not accessible by personal access token"})

    with pytest.raises(Exception, match="Resource not accessible") as caught:
        await get_user(http)

    assert not isinstance(caught.value, RateLimited)
    assert sleeps.calls == [] and len(github_sim.requests) == 1


async def test_404_is_final(
    http: httpx.AsyncClient, github_sim: GitHubSimulator, sleeps: SleepRecorder
) -> None:
    with pytest.raises(NotFound):
        await request_json(http, "GET", "/repos/acme/payments/pulls/9999", service="github")

    assert len(github_sim.requests) == 1
    assert sleeps.calls == []


async def test_retries_give_up_after_max_attempts(
    http: httpx.AsyncClient, github_sim: GitHubSimulator, sleeps: SleepRecorder
) -> None:
    github_sim.fail_next(503, times=5, body={"message": "Server Error"})

    with pytest.raises(Unavailable, match="Server Error") as caught:
        await get_user(http)

    assert caught.value.status == 503
    assert len(github_sim.requests) == 3


async def test_timeouts_are_retried_then_surface_as_unavailable(
    http: httpx.AsyncClient, github_sim: GitHubSimulator, sleeps: SleepRecorder
) -> None:
    github_sim.stall_next(30, times=3)

    with pytest.raises(Unavailable, match="timed out"):
        await get_user(http)

    assert len(github_sim.requests) == 3
    assert len(sleeps.calls) == 2


async def test_connection_refused_is_unavailable(sleeps: SleepRecorder) -> None:
    server = LocalServer(web.Application())
    url = await server.start()
    await server.stop()  # nothing listens on that port any more
    async with build_http_client(service="jira", base_url=url, headers={}, sleep=sleeps) as http:
        with pytest.raises(Unavailable, match="could not connect"):
            await request_json(http, "GET", "/rest/api/3/myself", service="jira")

    assert len(sleeps.calls) == 2


async def test_post_is_not_replayed_on_503_but_is_on_429(sleeps: SleepRecorder) -> None:
    async with JiraSimulator() as sim:
        client = build_http_client(
            service="jira",
            base_url=sim.url,
            headers={},
            auth=httpx.BasicAuth(JIRA_EMAIL, JIRA_TOKEN),
            sleep=sleeps,
        )
        async with client:
            body = {"jql": "project = OPS", "fields": ["summary"]}
            sim.fail_next(503)
            with pytest.raises(Unavailable):
                await request_json(client, "POST", "/rest/api/3/search/jql", service="jira", json=body)
            assert len(sim.requests) == 1

            sim.fail_next(429, headers={"Retry-After": "1"})
            page = await request_json(client, "POST", "/rest/api/3/search/jql", service="jira", json=body)
    assert len(page["issues"]) == 4
    assert len(sim.requests) == 3
    assert sleeps.calls == [1.0]


async def test_backoff_doubles_with_jitter_within_bounds(
    github_sim: GitHubSimulator, sleeps: SleepRecorder
) -> None:
    transport = RetryingTransport(
        httpx.AsyncHTTPTransport(),
        service="github",
        policy=RetryPolicy(max_attempts=4, base_delay=1.0, max_backoff=3.0),
        sleep=sleeps,
        rng=random.Random(7),
    )
    github_sim.fail_next(503, times=3)
    headers = {"Authorization": f"Bearer {GITHUB_TOKEN}"}
    async with httpx.AsyncClient(base_url=github_sim.url, transport=transport, headers=headers) as http:
        await get_user(http)

    first, second, third = sleeps.calls
    assert 0.5 <= first <= 1.0
    assert 1.0 <= second <= 2.0
    assert 1.5 <= third <= 3.0  # capped at max_backoff


def _response(headers: dict[str, str], status: int = 429) -> httpx.Response:
    return httpx.Response(status, headers=headers, request=httpx.Request("GET", "https://upstream.test/"))


def test_retry_after_accepts_an_http_date() -> None:
    now = datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)
    later = datetime(2026, 11, 24, 12, 0, 30, tzinfo=UTC)

    waited = retry_after(_response({"Retry-After": format_datetime(later, usegmt=True)}), now=now.timestamp)

    assert waited == 30.0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"Retry-After": "0"}, 0.0),
        ({"Retry-After": "soon"}, None),
        ({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1060"}, 60.0),
        ({"x-ratelimit-remaining": "12", "x-ratelimit-reset": "1060"}, None),
        ({}, None),
    ],
)
def test_retry_after_sources(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after(_response(headers), now=lambda: 1000.0) == expected
