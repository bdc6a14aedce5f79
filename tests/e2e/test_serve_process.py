"""`chatops serve` as a real process: start-up, /ask over HTTP, SIGTERM drain."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.store import Store
from tests.e2e.conftest import BOT_TOKEN, SIGNING_SECRET, Upstreams
from tests.e2e.slack_requests import SlackRequests


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def serve(
    upstreams: Upstreams, tmp_path: Path
) -> AsyncIterator[tuple[asyncio.subprocess.Process, str, Path]]:
    port = _free_port()
    database = tmp_path / "serve.db"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": upstreams.slack.api_url,
        "DATABASE_URL": f"sqlite:///{database}",
        "JIRA_BASE_URL": upstreams.jira.url,
        "JIRA_EMAIL": "bot@acme.test",
        "JIRA_API_TOKEN": "jira-token",
        "GITHUB_API_URL": upstreams.github.url,
        "GITHUB_TOKEN": "ghp_token",
        "LLM_BASE_URL": upstreams.llm.base_url,
        "LLM_API_KEY": "sk-key",
        "PORT": str(port),
        "SHUTDOWN_GRACE_SECONDS": "1",
        "LOG_LEVEL": "WARNING",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", env=env, stderr=asyncio.subprocess.PIPE
    )
    url = f"http://127.0.0.1:{port}"
    try:
        await _wait_healthy(url, process)
        yield process, url, database
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def _wait_healthy(url: str, process: asyncio.subprocess.Process) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(1200):  # generous: start-up is slow on a loaded machine
            if process.returncode is not None:
                assert process.stderr is not None
                pytest.fail(f"serve exited early: {(await process.stderr.read()).decode()}")
            try:
                if (await client.get(f"{url}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    pytest.fail("serve never became healthy")


async def test_sigterm_lets_intake_stop_and_marks_unfinished_runs_interrupted_in_their_thread(
    serve: tuple[asyncio.subprocess.Process, str, Path], upstreams: Upstreams
) -> None:
    process, url, database = serve
    upstreams.llm.stall_next(60)  # the answer starts, then the model goes quiet
    body, headers = SlackRequests(SIGNING_SECRET).command("why is OPS-2 blocked?", channel="C0GENERAL")
    async with httpx.AsyncClient() as client:
        assert (await client.post(f"{url}/slack/events", content=body, headers=headers)).status_code == 200
    slack = upstreams.slack
    await slack.wait_for(lambda: bool(slack.calls("chat.startStream")), timeout=20)

    process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(process.wait(), timeout=20) == 0

    root = slack.calls("chat.postMessage")[0]
    thread_ts = next(c.args["thread_ts"] for c in slack.calls() if c.args.get("thread_ts"))
    replies = slack.thread(root.args["channel"], thread_ts)
    assert any("interrupted" in message.get("text", "").lower() for message in replies), replies
    store = await Store.open(f"sqlite:///{database}")
    try:
        assert await store.unfinished_runs() == []
        conversation = await store.find_conversation("T0SIMTEAM", "C0GENERAL", thread_ts)
        assert conversation is not None
        (run,) = await store.runs(conversation)
        assert run.status == "interrupted"
    finally:
        await store.close()


async def test_a_second_sigterm_during_the_drain_is_harmless(
    serve: tuple[asyncio.subprocess.Process, str, Path], upstreams: Upstreams
) -> None:
    process, url, _ = serve
    upstreams.llm.stall_next(60)
    body, headers = SlackRequests(SIGNING_SECRET).command("why is OPS-2 blocked?")
    async with httpx.AsyncClient() as client:
        await client.post(f"{url}/slack/events", content=body, headers=headers)
    await upstreams.slack.wait_for(lambda: bool(upstreams.slack.calls("chat.startStream")), timeout=20)
    process.send_signal(signal.SIGTERM)
    process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(process.wait(), timeout=20) == 0
