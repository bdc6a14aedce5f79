"""One short human sentence per error type; never a secret, a status dump or a traceback."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.errors import InputRejected
from bot.text.explain import explain, service_name
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
from integrations.jira import JiraClient
from simulators.github import GitHubSimulator
from simulators.jira import JiraSimulator

GITHUB_TOKEN = "ghp_CANARYexplaintoken000000000000000000"
JIRA_TOKEN = "ATATT-CANARY-explain-token"


async def _no_sleep(seconds: float) -> None:
    return None


@pytest.fixture
async def github() -> AsyncIterator[GitHubClient]:
    async with (
        GitHubSimulator(token=GITHUB_TOKEN) as sim,
        GitHubClient.create(sim.url, token=GITHUB_TOKEN, sleep=_no_sleep) as client,
    ):
        yield client


@pytest.fixture
async def jira() -> AsyncIterator[tuple[JiraSimulator, JiraClient]]:
    async with (
        JiraSimulator(email="bot@acme.example", api_token=JIRA_TOKEN) as sim,
        JiraClient.create(sim.url, email="bot@acme.example", api_token=JIRA_TOKEN, sleep=_no_sleep) as client,
    ):
        yield sim, client


async def test_a_github_404_from_the_real_client_reads_not_found_or_no_access(github: GitHubClient) -> None:
    with pytest.raises(NotFound) as caught:
        await github.get_pull_request("acme/payments", 9999)

    sentence = explain(caught.value, subject="acme/payments#9999")

    assert sentence == "acme/payments#9999 was not found on GitHub, or the bot has no access to it."
    assert GITHUB_TOKEN not in sentence


async def test_a_jira_404_from_the_real_client_names_jira_and_the_key(
    jira: tuple[JiraSimulator, JiraClient],
) -> None:
    _, client = jira
    with pytest.raises(NotFound) as caught:
        await client.get_issue("OPS-999")

    assert explain(caught.value, subject="OPS-999") == "OPS-999 was not found in Jira."


async def test_a_jira_bad_jql_keeps_what_jira_said_and_drops_the_status_prefix(
    jira: tuple[JiraSimulator, JiraClient],
) -> None:
    _, client = jira
    with pytest.raises(BadRequest) as caught:
        await client.search("project = OPS AND nonsense ~~ 1")

    sentence = explain(caught.value)

    assert sentence.startswith("Jira did not accept the request: ")
    assert "HTTP 400" not in sentence and "jira:" not in sentence
    assert len(sentence) < 220


async def test_a_jira_permission_failure_does_not_leak_the_token(
    jira: tuple[JiraSimulator, JiraClient],
) -> None:
    sim, client = jira
    sim.fail_next(401)
    with pytest.raises(PermissionDenied) as caught:
        await client.get_issue("OPS-1")

    sentence = explain(caught.value)

    assert sentence == "Jira rejected the bot's credentials; an admin needs to check them."
    assert JIRA_TOKEN not in sentence


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [
        (42.0, "GitHub is rate limiting the bot, try again in 42 s."),
        (0.2, "GitHub is rate limiting the bot, try again in 1 s."),
        (12.5, "GitHub is rate limiting the bot, try again in 13 s."),
        (None, "GitHub is rate limiting the bot, try again shortly."),
    ],
)
def test_rate_limited_says_when_to_try_again(retry_after: float | None, expected: str) -> None:
    error = RateLimited("github", "HTTP 403: API rate limit exceeded", status=403, retry_after=retry_after)

    assert explain(error) == expected


def test_a_jira_404_is_plainly_not_found_but_a_github_404_may_be_no_access() -> None:
    assert explain(NotFound("jira", "HTTP 404: Issue does not exist")) == "That was not found in Jira."
    assert (
        explain(NotFound("github", "HTTP 404: Not Found"))
        == "That was not found on GitHub, or the bot has no access to it."
    )


def test_forbidden_is_no_access_and_names_the_subject() -> None:
    error = PermissionDenied("jira", "HTTP 403: You do not have permission", status=403)

    assert explain(error, subject="PAY-7") == "The bot has no access to PAY-7 in Jira."


def test_unavailable_and_timeout_read_differently() -> None:
    down = Unavailable("jira", "HTTP 503: Service Unavailable", status=503)
    slow = Timeout("github", "timed out waiting for an answer")

    assert explain(down) == "Jira is not answering right now (HTTP 503); please try again in a moment."
    assert explain(slow) == "GitHub did not answer in time; please try again in a moment."


def test_a_long_upstream_detail_is_cut_short() -> None:
    error = BadRequest("jira", "HTTP 400: " + "word " * 200, status=400)

    sentence = explain(error)

    assert sentence.endswith("…") and len(sentence) < 220


def test_bot_errors_keep_their_own_human_message() -> None:
    assert explain(InputRejected("That question is too long")) == "That question is too long."


def test_an_unexpected_exception_never_shows_its_text() -> None:
    secret = "xoxb-CANARY-in-a-traceback"

    assert explain(RuntimeError(secret)) == "Something went wrong inside the bot."
    assert (
        explain(UpstreamError("llm", "boom", status=418))
        == "The language model answered with an error (HTTP 418)."
    )


def test_service_names() -> None:
    assert [service_name(s) for s in ("jira", "github", "llm", "pagerduty")] == [
        "Jira",
        "GitHub",
        "The language model",
        "Pagerduty",
    ]


async def test_a_real_timeout_from_the_client_reads_as_did_not_answer_in_time() -> None:
    async with (
        JiraSimulator(email="bot@acme.example", api_token=JIRA_TOKEN) as sim,
        JiraClient.create(
            sim.url, email="bot@acme.example", api_token=JIRA_TOKEN, timeout=0.2, sleep=_no_sleep
        ) as client,
    ):
        sim.stall_next(30, times=5)
        with pytest.raises(Timeout) as caught:
            await client.get_issue("OPS-1")

    assert explain(caught.value) == "Jira did not answer in time; please try again in a moment."
