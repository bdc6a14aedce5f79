"""Socket Mode end to end: envelopes over a real WebSocket from the SIMULATED Slack, answers
streamed back through its Web API, with Jira, GitHub and the LLM simulated too."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from pydantic import SecretStr
from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.services import Services, build_services
from bot.slack.socket import SocketIngress, serve_ops, start_socket
from bot.store.store import Store
from simulators.slack import SlackSimulator
from tests.e2e.conftest import BOT_TOKEN, Upstreams, listeners_done
from tests.e2e.serve_process import free_port
from tests.e2e.slack_requests import ASKER, BOT_USER, TEAM, SlackRequests

CHANNEL = "C0GENERAL"
QUESTION = "why is OPS-2 blocked?"


@dataclass
class SocketBot:
    services: Services
    ingress: SocketIngress

    async def settle(self) -> None:
        """Wait until every run the bot started has ended."""
        await listeners_done()
        await self.services.runs.wait_idle()


@pytest.fixture
def socket_settings(settings: Settings, upstreams: Upstreams) -> Settings:
    configured = settings.model_copy(update={"slack_app_token": SecretStr(upstreams.slack.app_token)})
    configured.require("socket")
    return configured


@pytest.fixture
async def socket_bot(socket_settings: Settings, upstreams: Upstreams) -> AsyncIterator[SocketBot]:
    services = await build_services(socket_settings, "socket")
    try:
        ingress = await start_socket(socket_settings, services)
        try:
            await upstreams.slack.wait_for_connection()
            yield SocketBot(services, ingress)
            await ingress.stop()
            await listeners_done()
        finally:
            await ingress.close()
    finally:
        await services.aclose()


def _mention(
    requests: SlackRequests, text: str, *, event_id: str | None = None
) -> tuple[dict[str, Any], str]:
    """An event_callback body for an @mention, and the mention's ts."""
    ts = f"{time.time():.6f}"
    event = {
        "type": "app_mention",
        "user": ASKER,
        "text": f"<@{BOT_USER}> {text}",
        "ts": ts,
        "channel": CHANNEL,
    }
    body, _ = requests.event(event, event_id=event_id)
    return json.loads(body), ts


def _command(requests: SlackRequests, text: str) -> dict[str, str]:
    """A slash command's fields, as Socket Mode carries them."""
    body, _ = requests.command(text, channel=CHANNEL)
    return dict(parse_qsl(body))


async def _streams_stopped(slack: SlackSimulator, count: int) -> None:
    await slack.wait_for(
        lambda: len([c for c in slack.calls("chat.stopStream") if c.ok]) >= count, timeout=20
    )


async def _run_statuses(database_url: str, thread_ts: str) -> list[str]:
    store = await Store.open(database_url)
    try:
        conversation = await store.find_conversation(TEAM, CHANNEL, thread_ts)
        return [run.status for run in await store.runs(conversation)] if conversation is not None else []
    finally:
        await store.close()


def _thread_text(slack: SlackSimulator, thread_ts: str) -> str:
    return "\n".join(message.get("text", "") for message in slack.thread(CHANNEL, thread_ts))


async def test_a_mention_is_acked_and_answered_by_streaming_into_its_thread(
    socket_bot: SocketBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    slack = upstreams.slack
    payload, ts = _mention(slack_requests, QUESTION)
    envelope_id = await slack.push_envelope("events_api", payload)
    ack = await slack.wait_for_ack(envelope_id)
    assert ack.payload is None
    await _streams_stopped(slack, 1)
    await socket_bot.settle()

    (start,) = slack.calls("chat.startStream")
    assert (start.args["channel"], start.args["thread_ts"]) == (CHANNEL, ts)
    assert start.args["recipient_user_id"] == ASKER and start.args["recipient_team_id"] == TEAM
    assert [c for c in slack.calls("chat.appendStream") if c.ok]
    answer = _thread_text(slack, ts)
    assert "OPS-1" in answer and "integration-tests" in answer

    store = socket_bot.services.store
    conversation = await store.find_conversation(TEAM, CHANNEL, ts)
    assert conversation is not None
    (run,) = await store.runs(conversation)
    assert run.status == "succeeded" and run.trigger == "mention"
    assert (await store.history(conversation))[0].text == QUESTION


async def test_a_redelivered_event_is_acked_and_runs_once(
    socket_bot: SocketBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    slack = upstreams.slack
    payload, ts = _mention(slack_requests, QUESTION, event_id="Ev0SOCKETRETRY")
    first = await slack.push_envelope("events_api", payload)
    await slack.wait_for_ack(first)
    await _streams_stopped(slack, 1)
    await socket_bot.settle()

    retry = await slack.push_envelope("events_api", payload, retry_attempt=1, retry_reason="timeout")
    assert retry != first
    assert (await slack.wait_for_ack(retry)).payload is None
    # A later, different question is answered; had the retry started a run, it would be queued before it.
    later, later_ts = _mention(slack_requests, "what is the state of acme/payments#42?")
    await slack.wait_for_ack(await slack.push_envelope("events_api", later))
    await _streams_stopped(slack, 2)
    await socket_bot.settle()

    assert [c.args["thread_ts"] for c in slack.calls("chat.startStream")] == [ts, later_ts]
    conversation = await socket_bot.services.store.find_conversation(TEAM, CHANNEL, ts)
    assert conversation is not None
    assert len(await socket_bot.services.store.runs(conversation)) == 1


async def test_ask_is_acked_and_answered_in_a_thread_under_a_parent_message(
    socket_bot: SocketBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    slack = upstreams.slack
    envelope_id = await slack.push_envelope("slash_commands", _command(slack_requests, QUESTION))
    assert (await slack.wait_for_ack(envelope_id)).payload is None
    await _streams_stopped(slack, 1)
    await socket_bot.settle()

    root = str(slack.calls("chat.startStream")[0].args["thread_ts"])
    parent = slack.message(CHANNEL, root)
    assert parent is not None and parent["thread_ts"] is None and parent["bot_id"] == slack.bot_id
    assert f"<@{ASKER}> asked:" in parent["text"] and QUESTION in parent["text"]
    answer = _thread_text(slack, root)
    assert "OPS-1" in answer and "integration-tests" in answer
    conversation = await socket_bot.services.store.find_conversation(TEAM, CHANNEL, root)
    assert conversation is not None
    (run,) = await socket_bot.services.store.runs(conversation)
    assert run.trigger == "ask" and run.status == "succeeded"


async def test_an_overlong_ask_is_refused_in_the_ack_itself(
    socket_bot: SocketBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    slack = upstreams.slack
    envelope_id = await slack.push_envelope("slash_commands", _command(slack_requests, "x" * 5000))
    ack = await slack.wait_for_ack(envelope_id)
    assert ack.payload is not None and "limit is 4,000" in ack.payload["text"]
    await socket_bot.settle()
    assert slack.calls("chat.postMessage") == []
    assert upstreams.llm.chat_requests() == []


async def test_after_a_disconnect_the_client_reconnects_and_keeps_answering(
    socket_bot: SocketBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    slack = upstreams.slack
    assert await slack.disconnect_clients() == 1
    await slack.wait_for_connection(2)
    await slack.wait_for(lambda: slack.open_connections == 1)  # the client closed the old one
    assert len([c for c in slack.calls("apps.connections.open") if c.ok]) == 2

    payload, ts = _mention(slack_requests, QUESTION)
    envelope_id = await slack.push_envelope("events_api", payload)
    assert (await slack.wait_for_ack(envelope_id)).connection == 2
    await _streams_stopped(slack, 1)
    await socket_bot.settle()
    assert "OPS-1" in _thread_text(slack, ts)


async def test_stop_closes_the_connection(socket_bot: SocketBot, upstreams: Upstreams) -> None:
    slack = upstreams.slack
    await socket_bot.ingress.stop()
    await slack.wait_for(lambda: slack.open_connections == 0)
    with pytest.raises(RuntimeError, match="no Socket Mode client"):
        await slack.push_envelope("events_api", {"type": "event_callback"})


async def test_with_port_set_it_serves_health_and_metrics_beside_the_socket(
    socket_bot: SocketBot, socket_settings: Settings, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    configured = socket_settings.model_copy(update={"port": free_port()})
    ops = await serve_ops(configured, socket_bot.services, socket_bot.ingress)
    assert ops is not None
    try:
        payload, _ = _mention(slack_requests, QUESTION)
        await upstreams.slack.wait_for_ack(await upstreams.slack.push_envelope("events_api", payload))
        await _streams_stopped(upstreams.slack, 1)
        await socket_bot.settle()
        url = f"http://127.0.0.1:{configured.port}"
        async with httpx.AsyncClient() as client:
            assert (await client.get(f"{url}/healthz")).json() == {"status": "ok"}
            metrics = (await client.get(f"{url}/metrics")).text
            assert 'chatops_runs_total{outcome="succeeded"} 1.0' in metrics
            assert 'chatops_slack_api_calls_total{method="chat.startStream"}' in metrics
            await socket_bot.ingress.stop()
            draining = await client.get(f"{url}/healthz")
        assert (draining.status_code, draining.json()) == (503, {"status": "draining"})
    finally:
        await ops.cleanup()


async def test_without_port_set_socket_mode_opens_no_port(
    socket_bot: SocketBot, socket_settings: Settings
) -> None:
    assert "port" not in socket_settings.model_fields_set
    assert await serve_ops(socket_settings, socket_bot.services, socket_bot.ingress) is None


async def test_a_wrong_app_token_fails_start_up_without_leaking_it(
    socket_settings: Settings, upstreams: Upstreams
) -> None:
    wrong = "xapp-1-A0SIMAPP-1-not-the-right-one"
    configured = socket_settings.model_copy(update={"slack_app_token": SecretStr(wrong)})
    services = await build_services(configured, "socket")
    try:
        with pytest.raises(SlackApiError) as raised:
            await start_socket(configured, services)
    finally:
        await services.aclose()
    assert raised.value.response["error"] == "invalid_auth"
    assert wrong not in str(raised.value)
    assert upstreams.slack.connections_opened == 0


@pytest.fixture
async def socket_process(
    upstreams: Upstreams, database_url: str, tmp_path: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`chatops socket` as a real process, connected to the simulated Slack."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_APP_TOKEN": upstreams.slack.app_token,
        "SLACK_API_URL": upstreams.slack.api_url,
        "DATABASE_URL": database_url,
        "JIRA_BASE_URL": upstreams.jira.url,
        "JIRA_EMAIL": "bot@acme.test",
        "JIRA_API_TOKEN": "jira-token",
        "GITHUB_API_URL": upstreams.github.url,
        "GITHUB_TOKEN": "ghp_token",
        "LLM_BASE_URL": upstreams.llm.base_url,
        "LLM_API_KEY": "sk-key",
        "SHUTDOWN_GRACE_SECONDS": "1",
        "LOG_LEVEL": "DEBUG",
    }
    # A file, not a pipe: an unread pipe fills up with DEBUG logs and blocks the process.
    with (tmp_path / "socket.log").open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "socket", env=env, stderr=log
        )
        try:
            yield process
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()


async def test_the_socket_command_answers_then_drains_on_sigterm_without_reconnecting(
    socket_process: asyncio.subprocess.Process,
    upstreams: Upstreams,
    slack_requests: SlackRequests,
    database_url: str,
    tmp_path: Path,
) -> None:
    slack = upstreams.slack
    await slack.wait_for_connection(timeout=20)
    payload, ts = _mention(slack_requests, QUESTION)
    await slack.wait_for_ack(await slack.push_envelope("events_api", payload), timeout=20)
    await _streams_stopped(slack, 1)
    assert "OPS-1" in _thread_text(slack, ts)

    upstreams.llm.stall_next(60)  # the next answer starts, then the model goes quiet
    payload, stalled_ts = _mention(slack_requests, "and what about OPS-3?")
    await slack.wait_for_ack(await slack.push_envelope("events_api", payload), timeout=20)
    await slack.wait_for(lambda: len(slack.calls("chat.startStream")) == 2, timeout=20)

    socket_process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(socket_process.wait(), timeout=20) == 0
    assert slack.open_connections == 0 and slack.connections_opened == 1
    # Cut off after the grace period, the stalled run is left unfinished for the next process
    # with this executor id to resume: nothing is said in its thread, and it is not failed.
    assert "interrupted" not in _thread_text(slack, stalled_ts).lower()
    assert await _run_statuses(database_url, stalled_ts) == ["running"]
    log = (tmp_path / "socket.log").read_text()
    assert "Socket Mode" in log
    for secret in (BOT_TOKEN, slack.app_token, "jira-token", "ghp_token", "sk-key"):
        assert secret not in log
