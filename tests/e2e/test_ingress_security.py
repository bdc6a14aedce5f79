"""Requests that are not from Slack, or not well-formed, start nothing and never 500."""

from __future__ import annotations

import time

import pytest

from tests.e2e.conftest import RunningBot, Upstreams
from tests.e2e.slack_requests import SlackRequests


def _mention(text: str = "why is OPS-2 blocked?") -> dict[str, str]:
    return {
        "type": "app_mention",
        "user": "U0ASKER1",
        "text": text,
        "ts": f"{time.time():.6f}",
        "channel": "C0G",
    }


async def _nothing_started(bot: RunningBot, upstreams: Upstreams) -> None:
    await bot.settle()
    assert upstreams.llm.chat_requests() == []
    assert [c for c in upstreams.slack.calls() if c.method != "auth.test"] == []


@pytest.mark.parametrize("tamper", ["forged", "stale", "future", "missing"])
async def test_bad_signatures_get_401_and_start_nothing(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests, tamper: str
) -> None:
    body, headers = slack_requests.event(_mention())
    if tamper == "forged":
        headers["X-Slack-Signature"] = "v0=" + "0" * 64
    elif tamper == "stale":
        headers = {**headers, **slack_requests.sign(body, timestamp=int(time.time()) - 6 * 60)}
    elif tamper == "future":
        headers = {**headers, **slack_requests.sign(body, timestamp=int(time.time()) + 6 * 60)}
    else:
        headers = {"Content-Type": "application/json"}
    response = await bot.post(body, headers)
    assert response.status_code == 401
    await _nothing_started(bot, upstreams)


async def test_a_signed_command_with_a_forged_body_is_refused(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    body, headers = slack_requests.command("why is OPS-2 blocked?")
    response = await bot.post(body.replace("OPS-2", "OPS-3"), headers)
    assert response.status_code == 401
    await _nothing_started(bot, upstreams)


async def test_a_non_numeric_timestamp_is_401_not_500(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    body, headers = slack_requests.event(_mention())
    headers["X-Slack-Request-Timestamp"] = "yesterday"
    response = await bot.post(body, headers)
    assert response.status_code == 401
    assert "Traceback" not in response.text
    await _nothing_started(bot, upstreams)


@pytest.mark.parametrize("body", ['{"type": "event_callback", "event": ', "\udcff-not-utf8", ""])
async def test_malformed_bodies_get_a_4xx(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests, body: str
) -> None:
    raw = body.encode("utf-8", "surrogateescape")
    headers = {"Content-Type": "application/json", **slack_requests.sign(raw.decode("latin-1"))}
    response = await bot.http.post(f"{bot.url}/slack/events", content=raw, headers=headers)
    assert 400 <= response.status_code < 500
    assert "Traceback" not in response.text
    await _nothing_started(bot, upstreams)
