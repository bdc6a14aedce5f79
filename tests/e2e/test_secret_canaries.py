"""Canary secrets: configured as the bot's real credentials, they must never show up anywhere we write.

The whole flow runs (a question, a follow-up in the thread, a failing upstream, `/ask why`, a
metrics scrape) with every secret set to a recognisable canary. Then every log line (at DEBUG),
every recorded Slack call, every LLM request body, every database row and the metrics page are
searched: zero hits.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Iterator

import pytest
import sqlalchemy as sa

from bot.config import Settings
from bot.log import ContextFilter, JsonFormatter, TextFormatter
from simulators.github import GitHubSimulator
from simulators.jira import JiraSimulator
from simulators.llm import LLMSimulator
from simulators.slack import SlackSimulator
from tests.e2e.conftest import RunningBot, Upstreams
from tests.e2e.slack_requests import ASKER, BOT_USER, TEAM, SlackRequests

CHANNEL = "C0GENERAL"
BOT_TOKEN = "xoxb-1111-2222-CANARYbotToken"
APP_TOKEN = "xapp-1-A0CANARY-3333-CANARYappToken"
SIGNING_SECRET = "CANARYsigningSecret0123456789"
JIRA_TOKEN = "ATATT3xFfGF0CANARYjiraToken"
LLM_KEY = "sk-proj-CANARYllmKey0123456789"
GITHUB_TOKENS = ("ghs_CANARYinstallationToken0123", "github_pat_11CANARY_personalToken0123")


class Recorded(logging.Handler):
    """Every record, formatted as both production formatters would print it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.addFilter(ContextFilter())
        self.lines: list[str] = []
        self.records: list[logging.LogRecord] = []
        self._json, self._text = JsonFormatter(), TextFormatter("%(name)s: %(message)s")

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.lines.append(self._json.format(record))
        self.lines.append(self._text.format(record))


@pytest.fixture(params=GITHUB_TOKENS, ids=["ghs", "github_pat"])
def github_token(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def upstreams(github_token: str) -> AsyncIterator[Upstreams]:
    async with (
        SlackSimulator(token=BOT_TOKEN, team_id=TEAM, bot_user_id=BOT_USER) as slack,
        JiraSimulator(email="bot@acme.test", api_token=JIRA_TOKEN) as jira,
        GitHubSimulator(token=github_token) as github,
        LLMSimulator(chunk_delay=0.001) as llm,
    ):
        yield Upstreams(slack, jira, github, llm)


@pytest.fixture
def settings(upstreams: Upstreams, database_url: str, github_token: str) -> Settings:
    return Settings.load(
        "serve",
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_app_token=APP_TOKEN,
        slack_api_url=upstreams.slack.api_url,
        database_url=database_url,
        jira_base_url=upstreams.jira.url,
        jira_email="bot@acme.test",
        jira_api_token=JIRA_TOKEN,
        github_api_url=upstreams.github.url,
        github_token=github_token,
        llm_base_url=upstreams.llm.base_url,
        llm_api_key=LLM_KEY,
        llm_model="simulated-model",
    )


@pytest.fixture
def slack_requests() -> SlackRequests:
    return SlackRequests(SIGNING_SECRET)


@pytest.fixture
def logs() -> Iterator[Recorded]:
    handler = Recorded()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)


async def _answered(bot: RunningBot, upstreams: Upstreams, count: int) -> None:
    slack = upstreams.slack
    await slack.wait_for(
        lambda: len([c for c in slack.calls("chat.stopStream") if c.ok]) >= count, timeout=20
    )
    await bot.settle()


def _database_text(url: str) -> str:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            tables = sa.inspect(connection).get_table_names()
            rows = [
                repr(row)
                for table in tables
                for row in connection.execute(sa.text(f'SELECT * FROM "{table}"'))
            ]
    finally:
        engine.dispose()
    assert len(rows) > 10, "the flow should have stored conversations, runs, tool calls and more"
    return "\n".join(rows)


async def test_no_canary_secret_reaches_logs_slack_prompts_metrics_or_the_database(
    logs: Recorded,
    bot: RunningBot,
    upstreams: Upstreams,
    slack_requests: SlackRequests,
    settings: Settings,
    github_token: str,
) -> None:
    canaries = (BOT_TOKEN, APP_TOKEN, SIGNING_SECRET, JIRA_TOKEN, LLM_KEY, github_token)

    await bot.post(*slack_requests.command("why is OPS-2 blocked?", channel=CHANNEL))
    await _answered(bot, upstreams, 1)
    root = str(upstreams.slack.calls("chat.startStream")[-1].args["thread_ts"])
    upstreams.jira.fail_next(401, times=3)  # an upstream refusing the credentials is logged and shown
    follow_up = {
        "type": "message",
        "user": ASKER,
        "text": "and is OPS-3 assigned to anyone? see acme/payments#42",
        "ts": f"{time.time():.6f}",
        "thread_ts": root,
        "channel": CHANNEL,
        "channel_type": "channel",
    }
    await bot.post(*slack_requests.event(follow_up))
    await _answered(bot, upstreams, 2)
    why = await bot.post(*slack_requests.command("why", channel=CHANNEL))
    metrics = (await bot.http.get(f"{bot.url}/metrics")).text

    # The flow really used every credential, so a leak had every chance to happen.
    assert upstreams.jira.requests and upstreams.llm.requests and upstreams.slack.calls("chat.startStream")
    assert "jira_get_issue" in why.text
    assert logs.lines and any(r.name.startswith("bot") for r in logs.records)

    places = {
        "logs": "\n".join(logs.lines),
        "log records": "\n".join(record.getMessage() for record in logs.records if _ours(record)),
        "slack calls": "\n".join(json.dumps(call.args, default=str) for call in upstreams.slack.calls()),
        "llm requests": "\n".join(
            json.dumps(request.body, default=str) for request in upstreams.llm.requests
        ),
        "database": _database_text(settings.database_url),
        "metrics": metrics,
        "ask why": why.text,
    }
    for place, text in places.items():
        for canary in canaries:
            assert canary not in text, f"{canary[:8]}… found in {place}"
            assert "CANARY" not in text, f"part of a canary secret found in {place}"


def _ours(record: logging.LogRecord) -> bool:
    return record.name.split(".")[0] in ("bot", "integrations", "simulators")
