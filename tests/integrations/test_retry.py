"""The retrying transport, driven through real HTTP against the simulators on loopback."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.utils import format_datetime

import httpx
import pytest
from aiohttp import web

from integrations.budget import remaining, time_budget
from integrations.errors import NotFound, RateLimited, Timeout, Unavailable
from integrations.http import build_http_client, request_json
from integrations.retry import (
    RetryingTransport,
    RetryPolicy,
    is_rate_limited,
    is_secondary_limit,
    retry_after,
)
from simulators.base import LocalServer
from simulators.github import GitHubSimulator
from simulators.jira import JiraSimulator
from tests.integrations.conftest import GITHUB_TOKEN, JIRA_EMAIL, JIRA_TOKEN, SleepRecorder


@pytest.fixture
async def http(github_sim: GitHubSimulator, sleeps: SleepRecorder) -> AsyncIterator[httpx.AsyncClient]:
    client = build_http_client(
        service="github",
        base_url=github_sim.url,
        headers={"Authorization": f"Bearer {GITHUB_TOKEN}"},
        timeout=5.0,  # a loaded test machine must not turn an answer into a timeout
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
    github_sim: GitHubSimulator, sleeps: SleepRecorder
) -> None:
    github_sim.stall_next(30, times=3)
    headers = {"Authorization": f"Bearer {GITHUB_TOKEN}"}
    impatient = build_http_client(
        service="github", base_url=github_sim.url, headers=headers, timeout=0.5, sleep=sleeps
    )

    async with impatient:
        with pytest.raises(Unavailable, match="timed out"):
            await get_user(impatient)

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
    assert page["issues"]
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


# -- GitHub's secondary limits -------------------------------------------------------------------


async def test_secondary_limit_without_retry_after_waits_a_minute_or_fails_fast(
    http: httpx.AsyncClient, github_sim: GitHubSimulator, sleeps: SleepRecorder
) -> None:
    github_sim.secondary_limit_next()

    with pytest.raises(RateLimited, match=r"rate limited, try again in 6\d s") as caught:
        await get_user(http)

    assert caught.value.retry_after is not None and 60 <= caught.value.retry_after <= 66
    assert sleeps.calls == [] and len(github_sim.requests) == 1


async def test_secondary_limit_with_retry_after_is_waited_out(
    http: httpx.AsyncClient, github_sim: GitHubSimulator, sleeps: SleepRecorder
) -> None:
    github_sim.secondary_limit_next(retry_after=3)

    await get_user(http)

    assert sleeps.calls == [3.0] and len(github_sim.requests) == 2


async def test_secondary_limit_429_backs_off_at_least_a_minute_inside_a_budget(
    http: httpx.AsyncClient, github_sim: GitHubSimulator, sleeps: SleepRecorder
) -> None:
    github_sim.secondary_limit_next(status=429)

    with time_budget(300):
        await get_user(http)

    assert len(sleeps.calls) == 1 and 60 <= sleeps.calls[0] <= 66


def test_a_plain_403_is_not_a_rate_limit_but_a_secondary_one_is() -> None:
    plain = _response({}, status=403)
    plain._content = b'{"message": "Resource not accessible by integration"}'
    secondary = _response({}, status=403)
    secondary._content = b'{"message": "You have exceeded a secondary rate limit."}'

    assert not is_rate_limited(plain)
    assert is_rate_limited(secondary) and is_secondary_limit(secondary)


# -- the run's time budget -----------------------------------------------------------------------


async def test_a_wait_longer_than_the_budget_fails_fast(
    http: httpx.AsyncClient, github_sim: GitHubSimulator, sleeps: SleepRecorder
) -> None:
    github_sim.fail_next(429, headers={"Retry-After": "30"})

    with time_budget(20), pytest.raises(RateLimited) as caught:
        await get_user(http)

    assert str(caught.value) == "github: rate limited, try again in 30 s"
    assert caught.value.retry_after == 30.0
    assert sleeps.calls == [] and len(github_sim.requests) == 1


async def test_a_budget_allows_waits_beyond_the_default_cap(
    http: httpx.AsyncClient, github_sim: GitHubSimulator, sleeps: SleepRecorder
) -> None:
    github_sim.fail_next(429, headers={"Retry-After": "30"})

    with time_budget(100):
        await get_user(http)

    assert sleeps.calls == [30.0]


async def test_an_exhausted_budget_stops_backing_off(
    http: httpx.AsyncClient, github_sim: GitHubSimulator, sleeps: SleepRecorder
) -> None:
    github_sim.fail_next(503, times=3)

    with time_budget(1.0), pytest.raises(Unavailable):  # less than the reserve for one more try
        await get_user(http)

    assert sleeps.calls == [] and len(github_sim.requests) == 1


async def test_a_request_never_waits_on_the_socket_past_the_budget(
    github_sim: GitHubSimulator, sleeps: SleepRecorder
) -> None:
    client = build_http_client(
        service="github",
        base_url=github_sim.url,
        headers={"Authorization": f"Bearer {GITHUB_TOKEN}"},
        timeout=30.0,
        sleep=sleeps,
    )
    github_sim.stall_next(30, times=3)

    async with client:
        with time_budget(0.3), pytest.raises(Timeout):
            await request_json(client, "GET", "/user", service="github")

    assert len(github_sim.requests) == 1  # timed out at the budget, and no time left to retry


async def test_jira_503_with_retry_after_is_waited_out(sleeps: SleepRecorder) -> None:
    async with JiraSimulator() as sim:
        client = build_http_client(
            service="jira",
            base_url=sim.url,
            headers={},
            auth=httpx.BasicAuth(JIRA_EMAIL, JIRA_TOKEN),
            sleep=sleeps,
        )
        sim.fail_next(503, headers={"Retry-After": "2"})
        async with client:
            await request_json(client, "GET", "/rest/api/3/myself", service="jira")

    assert sleeps.calls == [2.0] and len(sim.requests) == 2


async def test_a_limit_still_hit_on_the_last_attempt_names_the_wait(
    http: httpx.AsyncClient, github_sim: GitHubSimulator, sleeps: SleepRecorder
) -> None:
    github_sim.fail_next(429, times=3, headers={"Retry-After": "1"}, body={"message": "slow down"})

    with pytest.raises(RateLimited) as caught:
        await get_user(http)

    assert str(caught.value) == "github: rate limited, try again in 1 s (HTTP 429: slow down)"
    assert sleeps.calls == [1.0, 1.0]


def test_budgets_nest_and_never_extend_the_outer_one() -> None:
    now = [100.0]

    def clock() -> float:
        return now[0]

    assert remaining() is None
    with time_budget(10, clock=clock):
        now[0] += 4
        assert remaining() == 6.0
        with time_budget(60, clock=clock):
            assert remaining() == 6.0
        with time_budget(2, clock=clock):
            assert remaining() == 2.0
        now[0] += 10
        assert remaining() == 0.0
    assert remaining() is None
