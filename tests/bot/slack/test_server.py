"""The HTTP edge against the Slack simulator: start-up checks the token and recovers interrupted runs;
requests Bolt would turn into a 500 get a 4xx here; while draining, everything gets a 503."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from pydantic import SecretStr
from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.services import Services
from bot.slack.server import EVENTS_PATH, Ingress, start_ingress
from bot.store.store import Store
from simulators.base import LocalServer
from simulators.slack import SlackSimulator
from tests.e2e.slack_requests import TEAM, SlackRequests

BOT_TOKEN = "xoxb-server-test-token"
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
def settings(services: Services, slack: SlackSimulator) -> Settings:
    return services.settings.model_copy(
        update={
            "slack_bot_token": SecretStr(BOT_TOKEN),
            "slack_signing_secret": SecretStr(SIGNING_SECRET),
            "slack_api_url": slack.api_url,
        }
    )


@pytest.fixture
async def edge(settings: Settings, services: Services) -> AsyncIterator[Edge]:
    ingress = await start_ingress(settings, services)
    try:
        async with LocalServer(ingress.web_app()) as server, httpx.AsyncClient(base_url=server.url) as http:
            yield Edge(ingress, http, SlackRequests(SIGNING_SECRET))
    finally:
        await ingress.aclose()


async def _unfinished_run(store: Store) -> str:
    conversation = await store.open_conversation(TEAM, "C0GENERAL", "1700000000.000100")
    run_id = await store.create_run(conversation, trigger="mention", user_id="U1")
    await store.mark_running(run_id)
    return run_id


async def test_start_up_marks_runs_a_dead_process_left_as_interrupted(
    settings: Settings, services: Services
) -> None:
    run_id = await _unfinished_run(services.store)

    ingress = await start_ingress(settings, services)
    try:
        run = await services.store.get_run(run_id)
        assert run is not None and run.status == "interrupted"
        assert ingress.accepting()
    finally:
        await ingress.aclose()


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
    await services.dispatcher.wait_idle()
    assert services.dispatcher.active == 0, "nothing was started"
