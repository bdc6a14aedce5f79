"""Observability end to end: /metrics after a real run, `/ask why`, and the trace and usage commands."""

from __future__ import annotations

import asyncio
import logging
import re

import pytest

from bot.cli import main
from bot.config import Settings
from bot.log import CONTEXT_FIELDS, ContextFilter
from bot.runs.traces import RunTraces
from tests.e2e.conftest import RunningBot, Upstreams
from tests.e2e.slack_requests import ASKER, TEAM, SlackRequests

CHANNEL = "C0GENERAL"


async def _ask(bot: RunningBot, requests: SlackRequests, upstreams: Upstreams, text: str) -> None:
    before = len([c for c in upstreams.slack.calls("chat.stopStream") if c.ok])
    response = await bot.post(*requests.command(text, channel=CHANNEL))
    assert response.status_code == 200
    await upstreams.slack.wait_for(
        lambda: len([c for c in upstreams.slack.calls("chat.stopStream") if c.ok]) > before, timeout=20
    )
    await bot.settle()


def _value(metrics: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text, or 0 when the series does not exist."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in metrics.splitlines():
        if line.startswith("#"):
            continue
        series, _, value = line.rpartition(" ")
        sample, _, label_text = series.partition("{")
        found = ",".join(sorted(label_text.rstrip("}").split(","))) if label_text else ""
        if sample == name and found == wanted:
            return float(value)
    return 0.0


async def _scrape(bot: RunningBot) -> str:
    response = await bot.http.get(f"{bot.url}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


async def test_metrics_after_a_run_count_requests_runs_tools_tokens_and_slack_calls(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    before = await _scrape(bot)
    assert _value(before, "chatops_runs_total", outcome="succeeded") == 0

    await _ask(bot, slack_requests, upstreams, "why is OPS-2 blocked?")
    metrics = await _scrape(bot)

    assert _value(metrics, "chatops_request_seconds_count", kind="command") == 1
    assert _value(metrics, "chatops_ack_seconds_count", kind="command") == 1
    assert _value(metrics, "chatops_runs_total", outcome="succeeded") == 1
    assert _value(metrics, "chatops_run_duration_seconds_count", outcome="succeeded") == 1
    assert _value(metrics, "chatops_first_reply_seconds_count") == 1
    assert _value(metrics, "chatops_tool_call_seconds_count", tool="jira_get_issue") >= 1
    assert _value(metrics, "chatops_llm_requests_total", model="simulated-model") >= 2
    assert _value(metrics, "chatops_llm_tokens_total", model="simulated-model", direction="in") > 0
    assert _value(metrics, "chatops_llm_tokens_total", model="simulated-model", direction="out") > 0
    posted = len(upstreams.slack.calls("chat.postMessage"))
    assert _value(metrics, "chatops_slack_api_calls_total", method="chat.postMessage") == posted
    assert _value(metrics, "chatops_slack_api_calls_total", method="chat.startStream") >= 1
    assert _value(metrics, "chatops_runs_in_flight") == 0
    assert _value(metrics, "chatops_queue_depth") == 0
    # Bounded labels: no user, channel or team id anywhere in the exposition.
    for identifier in (ASKER, CHANNEL, TEAM):
        assert not re.search(rf'="{identifier}', metrics)


async def test_slack_and_upstream_rate_limits_are_counted_by_method_and_service(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    upstreams.slack.rate_limit("chat.postMessage", retry_after=0)
    upstreams.jira.fail_next(429, headers={"Retry-After": "0"})
    upstreams.llm.fail_next(429, headers={"retry-after-ms": "1", "Retry-After": "0"})

    await _ask(bot, slack_requests, upstreams, "why is OPS-2 blocked?")
    metrics = await _scrape(bot)

    assert _value(metrics, "chatops_slack_rate_limited_total", method="chat.postMessage") == 1
    assert _value(metrics, "chatops_upstream_rate_limited_total", service="jira") == 1
    assert _value(metrics, "chatops_upstream_rate_limited_total", service="llm") == 1
    assert _value(metrics, "chatops_runs_total", outcome="succeeded") == 1


async def test_ask_why_shows_the_tools_of_the_askers_last_answer_only_to_them(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    nothing = await bot.post(*slack_requests.command("why", channel=CHANNEL))
    assert "nothing to explain" in nothing.text

    await _ask(bot, slack_requests, upstreams, "why is OPS-2 blocked?")
    posted = len(upstreams.slack.calls("chat.postMessage"))
    response = await bot.post(*slack_requests.command("why", channel=CHANNEL))

    # A plain-text ack body is shown only to the person who typed the command.
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    assert "`jira_get_issue`" in response.text and re.search(r"`jira_get_issue` \d+ ms — ", response.text)
    assert len(upstreams.slack.calls("chat.postMessage")) == posted, "`/ask why` is not a question"
    metrics = await _scrape(bot)
    assert _value(metrics, "chatops_runs_total", outcome="succeeded") == 1


async def test_runs_run_and_usage_commands_show_the_stored_trace(
    bot: RunningBot,
    upstreams: Upstreams,
    slack_requests: SlackRequests,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await _ask(bot, slack_requests, upstreams, "why is OPS-2 blocked?")
    (latest,) = await RunTraces(bot.services.store).recent(1)
    run = latest.run
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("LLM_MODEL", "simulated-model")
    monkeypatch.setenv("LLM_PRICES", "simulated-model=1000000:2000000")  # $1 per input, $2 per output token

    assert await _cli(["runs", "--last", "5"]) == 0
    listing = capsys.readouterr().out
    assert run.id[:12] in listing and "succeeded" in listing

    assert await _cli(["run", run.id[:8]]) == 0
    trace = capsys.readouterr().out
    assert f"run {run.id}" in trace
    assert re.search(r"llm\s+done\s+simulated-model", trace)
    assert re.search(r"tool\s+done\s+jira_get_issue\s+\d+ ms\s+\{\"key\": \"OPS-\d\"\}", trace)
    expected = run.usage.input_tokens * 1 + run.usage.output_tokens * 2
    assert f"cost ${expected:,.2f}" in trace

    assert await _cli(["usage", "--by", "channel"]) == 0
    usage = capsys.readouterr().out
    assert re.search(rf"{CHANNEL}\s+1\s+{run.usage.requests}\s+{run.usage.input_tokens}\s+", usage)

    assert await _cli(["run", "feedbeef"]) == 1


async def _cli(argv: list[str]) -> int:
    # `main` runs its own event loop; the test's loop is busy, so it runs in a thread.
    return await asyncio.to_thread(main, argv)


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.addFilter(ContextFilter())
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def test_records_logged_during_a_run_name_the_run_and_its_thread(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    handler = _Records()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        await _ask(bot, slack_requests, upstreams, "why is OPS-2 blocked?")
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    (latest,) = await RunTraces(bot.services.store).recent(1)
    run = latest.run

    upstream_calls = [r for r in handler.records if r.name == "integrations.retry"]
    assert upstream_calls, "Jira and GitHub requests are logged at DEBUG"
    for record in upstream_calls:
        context = {key: getattr(record, key) for key in CONTEXT_FIELDS}
        assert context == {
            "run_id": run.id,
            "team": TEAM,
            "channel": CHANNEL,
            "thread_ts": run.thread_ts,
            "kind": "ask",
        }
