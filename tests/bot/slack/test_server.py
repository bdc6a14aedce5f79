"""The HTTP edge against the Slack simulator: start-up checks the token, routes the runs to Slack
and starts them, so a run the last shutdown left unfinished is resumed in its thread; requests
Bolt would turn into a 500 get a 4xx here; while draining, everything gets a 503."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.ports import Origin
from bot.services import Services, build_services
from bot.slack.server import EVENTS_PATH, Ingress, start_ingress
from bot.store.store import RunRecord, Store
from bot.workflows.intake import Inquiry
from simulators.base import LocalServer
from simulators.jira import JiraSimulator
from simulators.llm import LLMSimulator
from simulators.slack import SlackSimulator
from tests.e2e.slack_requests import TEAM, SlackRequests

BOT_TOKEN = "xoxb-server-test-token"
CHANNEL = "C0GENERAL"
ASKER = "U0ASKER"
SIGNING_SECRET = "server-test-signing-secret"


@dataclass
class Edge:
    ingress: Ingress
    http: httpx.AsyncClient
    requests: SlackRequests

    async def post(self, body: str | bytes, headers: dict[str, str]) -> httpx.Response:
        return await self.http.post(EVENTS_PATH, content=body, headers=headers)


@pytest.fixture
async def slack() -> AsyncIterator[SlackSimulator]:
    async with SlackSimulator(token=BOT_TOKEN, team_id=TEAM) as simulator:
        yield simulator


@pytest.fixture
def settings(llm: LLMSimulator, jira: JiraSimulator, slack: SlackSimulator, database_url: str) -> Settings:
    return Settings.load(
        "serve",
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
        database_url=database_url,
        jira_base_url=jira.url,
        jira_email="me@acme.test",
        jira_api_token="token",
        llm_base_url=llm.base_url,
        llm_api_key="sk-key",
        shutdown_grace_seconds=0,  # a shutdown leaves the run in flight unfinished at once
    )


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    built = await build_services(settings, "serve")
    yield built
    await built.aclose()


@pytest.fixture
async def edge(settings: Settings, services: Services) -> AsyncIterator[Edge]:
    ingress = await start_ingress(settings, services)
    try:
        async with LocalServer(ingress.web_app()) as server, httpx.AsyncClient(base_url=server.url) as http:
            yield Edge(ingress, http, SlackRequests(SIGNING_SECRET))
    finally:
        await ingress.aclose()


ANSWER = " ".join(f"word{i}" for i in range(60)) + " THE-END"


def _bot_replies(slack: SlackSimulator, root: str) -> list[dict[str, Any]]:
    return [message for message in slack.thread(CHANNEL, root) if message["bot_id"]]


async def _finished(store: Store, run_id: str) -> RunRecord:
    for _ in range(400):
        run = await store.get_run(run_id)
        if run is not None and run.finished:
            return run
        await asyncio.sleep(0.05)
    raise AssertionError(f"run {run_id} did not finish")


async def test_start_up_resumes_in_its_thread_the_run_the_last_shutdown_left_unfinished(
    settings: Settings, slack: SlackSimulator, llm: LLMSimulator
) -> None:
    llm.chunk_delay = 0.05  # still streaming when the process shuts down
    llm.script([ANSWER, ANSWER])  # the resumed run asks the model again: its request never finished
    root = slack.post_user_message(CHANNEL, "why is OPS-2 blocked?", user=ASKER)
    first = await build_services(settings, "serve")
    try:
        ingress = await start_ingress(settings, first)
        inquiry = Inquiry(TEAM, CHANNEL, root, ASKER, "why is OPS-2 blocked?", "mention")
        run_id = await first.intake.accept(inquiry, Origin("slack", TEAM, CHANNEL, root, ASKER))
        await slack.wait_for(lambda: "word3" in str([m["text"] for m in _bot_replies(slack, root)]))
        [half] = _bot_replies(slack, root)
        assert await first.runs.shutdown() == 1  # left to be resumed, not ended
        await ingress.aclose()
    finally:
        await first.aclose()

    second = await build_services(settings, "serve")  # the same executor: this process's next life
    try:
        ingress = await start_ingress(settings, second)
        try:
            await slack.wait_for(lambda: "THE-END" in str([m["text"] for m in _bot_replies(slack, root)]))
            run = await _finished(second.store, run_id)
        finally:
            await ingress.aclose()
    finally:
        await second.aclose()

    [answer] = _bot_replies(slack, root)  # the half-written attempt was taken down, not left beside it
    assert answer["text"] == ANSWER and answer["ts"] != half["ts"]
    assert [call.args["ts"] for call in slack.calls("chat.delete")] == [half["ts"]]
    assert run.status == "succeeded"


async def test_a_bad_bot_token_fails_start_up(settings: Settings, services: Services) -> None:
    wrong = settings.model_copy(update={"slack_bot_token": SecretStr("xoxb-not-the-right-one")})

    with pytest.raises(SlackApiError) as refused:
        await start_ingress(wrong, services)

    assert refused.value.response["error"] == "invalid_auth"


async def test_a_signed_command_reaches_the_slack_app(edge: Edge) -> None:
    response = await edge.post(*edge.requests.command("   "))

    assert response.status_code == 200
    assert "Ask me a question" in response.text


async def test_a_non_numeric_timestamp_is_401_before_bolt_sees_it(edge: Edge) -> None:
    body, headers = edge.requests.command("why is OPS-2 blocked?")
    headers["X-Slack-Request-Timestamp"] = "yesterday"

    response = await edge.post(body, headers)

    assert (response.status_code, response.json()) == (401, {"error": "invalid request"})


async def test_a_body_that_is_not_utf8_is_400_not_500(edge: Edge) -> None:
    raw = b'{"type": "event_callback", "x": "\xff"}'
    headers = {"Content-Type": "application/json", **edge.requests.sign(raw.decode("latin-1"))}

    response = await edge.post(raw, headers)

    assert (response.status_code, response.json()) == (400, {"error": "malformed request body"})


async def test_while_draining_slack_is_told_to_retry_elsewhere(edge: Edge, services: Services) -> None:
    assert (await edge.http.get("/healthz")).status_code == 200
    edge.ingress.draining = True

    response = await edge.post(*edge.requests.command("why is OPS-2 blocked?"))
    health = await edge.http.get("/healthz")

    assert (response.status_code, response.json()) == (503, {"error": "shutting down"})
    assert (health.status_code, health.json()) == (503, {"status": "draining"})
    assert not edge.ingress.accepting()
    await services.runs.wait_idle()
    assert (services.runs.running, services.runs.queued) == (0, 0), "nothing was started"
