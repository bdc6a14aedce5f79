"""End-to-end fixtures: the real app served over HTTP on loopback, every upstream simulated."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest

from bot.config import Settings
from bot.services import Services, build_services
from bot.slack.server import Ingress, start_ingress
from simulators.base import LocalServer
from simulators.github import GitHubSimulator
from simulators.jira import JiraSimulator
from simulators.llm import LLMSimulator
from simulators.slack import SlackSimulator
from tests.e2e.slack_requests import BOT_USER, TEAM, SlackRequests

SIGNING_SECRET = "e2e-signing-secret"
BOT_TOKEN = "xoxb-simulated-token"


@dataclass
class Upstreams:
    slack: SlackSimulator
    jira: JiraSimulator
    github: GitHubSimulator
    llm: LLMSimulator


@dataclass
class RunningBot:
    url: str
    services: Services
    ingress: Ingress
    http: httpx.AsyncClient
    server: LocalServer

    async def post(self, body: str, headers: dict[str, str]) -> httpx.Response:
        return await self.http.post(f"{self.url}/slack/events", content=body, headers=headers)

    async def settle(self) -> None:
        """Wait until every run the bot started has ended (first, until the listeners that
        enqueue runs after their ack have done so)."""
        await listeners_done()
        await self.services.runs.wait_idle()

    async def stop(self) -> None:
        if self.http.is_closed:
            return
        self.ingress.draining = True
        await listeners_done()
        await self.services.aclose()
        await self.server.stop()
        await self.ingress.aclose()
        await self.http.aclose()


def listener_tasks() -> list[asyncio.Task[object]]:
    """Bolt's listener tasks still at work after their ack (Bolt keeps no handle on them)."""
    return [
        task
        for task in asyncio.all_tasks()
        if getattr(task.get_coro(), "__qualname__", "").endswith("run_ack_function_asynchronously")
    ]


async def listeners_done() -> None:
    """Wait for Bolt's listener tasks still at work after their ack (a claim, a post), so the test's
    bot closes its database only when nothing uses it; Bolt keeps no handle on these tasks."""
    listening = listener_tasks()
    if listening:
        await asyncio.wait(listening, timeout=10.0)


@pytest.fixture
async def upstreams() -> AsyncIterator[Upstreams]:
    async with (
        SlackSimulator(token=BOT_TOKEN, team_id=TEAM, bot_user_id=BOT_USER) as slack,
        JiraSimulator() as jira,
        GitHubSimulator() as github,
        LLMSimulator(chunk_delay=0.005) as llm,
    ):
        yield Upstreams(slack, jira, github, llm)


@pytest.fixture
def settings(upstreams: Upstreams, database_url: str) -> Settings:
    """The bot's settings on every upstream simulator, once on SQLite and once on PostgreSQL."""
    return Settings.load(
        "serve",
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=upstreams.slack.api_url,
        database_url=database_url,
        jira_base_url=upstreams.jira.url,
        jira_email="bot@acme.test",
        jira_api_token="jira-e2e-token",
        github_api_url=upstreams.github.url,
        github_token="ghp_e2etoken",
        llm_base_url=upstreams.llm.base_url,
        llm_api_key="sk-e2e-key",
        llm_model="simulated-model",
    )


StartBot = Callable[[], Awaitable[RunningBot]]


@pytest.fixture
async def start_bot(settings: Settings) -> AsyncIterator[StartBot]:
    """Starts the bot (again, for restart tests) on the same settings and database."""
    running: list[RunningBot] = []

    async def start() -> RunningBot:
        # One bot at a time in this process (DBOS is a singleton): a restart test stops the first.
        services = await build_services(settings, "serve")
        ingress = await start_ingress(settings, services)  # routes "slack" to it, then starts the runs
        server = LocalServer(ingress.web_app())
        await server.start()
        bot = RunningBot(server.url, services, ingress, httpx.AsyncClient(timeout=10), server)
        running.append(bot)
        return bot

    yield start
    for bot in running:
        await bot.stop()


@pytest.fixture
async def bot(start_bot: StartBot) -> RunningBot:
    return await start_bot()


@pytest.fixture
def slack_requests() -> SlackRequests:
    return SlackRequests(SIGNING_SECRET)
