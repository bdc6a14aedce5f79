"""Socket Mode against the Slack simulator's WebSocket: start-up checks both tokens and recovers
interrupted runs; ``stop()`` closes the connection for good; /healthz and /metrics only with PORT."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr
from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.services import Services
from bot.slack.socket import SocketIngress, serve_ops, start_socket
from simulators.slack import SlackSimulator
from tests.e2e.serve_process import free_port

BOT_TOKEN = "xoxb-socket-test-token"
TEAM = "T0SOCKET"


@pytest.fixture
async def slack() -> AsyncIterator[SlackSimulator]:
    async with SlackSimulator(token=BOT_TOKEN, team_id=TEAM) as simulator:
        yield simulator


@pytest.fixture
def settings(services: Services, slack: SlackSimulator) -> Settings:
    return services.settings.model_copy(
        update={
            "slack_bot_token": SecretStr(BOT_TOKEN),
            "slack_app_token": SecretStr(slack.app_token),
            "slack_api_url": slack.api_url,
        }
    )


@pytest.fixture
async def ingress(
    settings: Settings, services: Services, slack: SlackSimulator
) -> AsyncIterator[SocketIngress]:
    started = await start_socket(settings, services)
    try:
        await slack.wait_for_connection()
        yield started
    finally:
        await started.close()


async def test_start_up_starts_the_runs_then_connects(
    settings: Settings, services: Services, slack: SlackSimulator
) -> None:
    conversation = await services.store.open_conversation(TEAM, "C1", "1.0")
    run_id = await services.store.create_run(conversation, trigger="mention", user_id="U1")

    ingress = await start_socket(settings, services)
    try:
        # Nothing is marked interrupted at start-up any more: an unfinished run is resumed by its
        # executor (DBOS), and a run row without a workflow is left as it is.
        run = await services.store.get_run(run_id)
        assert run is not None and run.status == "queued"
        assert services.runs.accepting
        assert ingress.accepting()
        await slack.wait_for_connection()
    finally:
        await ingress.close()


async def test_stop_closes_the_connection_and_takes_no_more_work(
    ingress: SocketIngress, slack: SlackSimulator
) -> None:
    await ingress.stop()

    assert ingress.draining and not ingress.accepting()
    await slack.wait_for(lambda: slack.open_connections == 0)
    assert slack.connections_opened == 1, "no reconnect after a deliberate stop"


@pytest.mark.parametrize("token", ["slack_bot_token", "slack_app_token"])
async def test_a_wrong_token_fails_start_up_before_any_connection(
    settings: Settings, services: Services, slack: SlackSimulator, token: str
) -> None:
    wrong = "xoxb-wrong-one" if token == "slack_bot_token" else "xapp-1-A0SIMAPP-1-wrong-one"
    configured = settings.model_copy(update={token: SecretStr(wrong)})

    with pytest.raises(SlackApiError) as refused:
        await start_socket(configured, services)

    assert refused.value.response["error"] == "invalid_auth"
    assert slack.connections_opened == 0


async def test_health_and_metrics_are_served_only_when_port_is_set(
    ingress: SocketIngress, settings: Settings, services: Services
) -> None:
    assert await serve_ops(settings, services, ingress) is None

    port = free_port()
    ops = await serve_ops(settings.model_copy(update={"port": port}), services, ingress)
    assert ops is not None
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            assert (await http.get("/healthz")).json() == {"status": "ok"}
            await ingress.stop()
            draining = await http.get("/healthz")
            assert (draining.status_code, draining.json()) == (503, {"status": "draining"})
            assert (await http.get("/metrics")).status_code == 200
    finally:
        await ops.cleanup()
