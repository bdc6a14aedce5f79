"""`chatops serve` as a real process: start-up, /ask over HTTP, SIGTERM drain (what is still
running after the grace period is left to be resumed)."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.store.store import Store
from tests.e2e.conftest import SIGNING_SECRET, Upstreams
from tests.e2e.serve_process import free_port, serve_env, wait_healthy
from tests.e2e.slack_requests import SlackRequests


@pytest.fixture
async def serve(
    upstreams: Upstreams, database_url: str
) -> AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
    port = free_port()
    env = serve_env(upstreams, database_url, port)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", env=env, stderr=asyncio.subprocess.PIPE
    )
    url = f"http://127.0.0.1:{port}"
    try:
        await wait_healthy(url, process)
        yield process, url
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_sigterm_stops_intake_and_leaves_an_unfinished_run_to_be_resumed_saying_nothing(
    serve: tuple[asyncio.subprocess.Process, str], upstreams: Upstreams, database_url: str
) -> None:
    process, url = serve
    upstreams.llm.stall_next(60)  # the answer starts, then the model goes quiet
    body, headers = SlackRequests(SIGNING_SECRET).command("why is OPS-2 blocked?", channel="C0GENERAL")
    async with httpx.AsyncClient() as client:
        assert (await client.post(f"{url}/slack/events", content=body, headers=headers)).status_code == 200
    slack = upstreams.slack
    await slack.wait_for(lambda: bool(slack.calls("chat.startStream")), timeout=20)

    process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(process.wait(), timeout=20) == 0

    # Past the grace period the run is cut off, not ended: the next process with this executor
    # id resumes it in its thread (tests/e2e/test_durable_runs.py), so nothing is said there now.
    root = slack.calls("chat.postMessage")[0]
    thread_ts = next(c.args["thread_ts"] for c in slack.calls() if c.args.get("thread_ts"))
    replies = slack.thread(root.args["channel"], thread_ts)
    assert not any("interrupted" in message.get("text", "").lower() for message in replies), replies
    store = await Store.open(database_url)
    try:
        conversation = await store.find_conversation("T0SIMTEAM", "C0GENERAL", thread_ts)
        assert conversation is not None
        (run,) = await store.runs(conversation)
        assert run.status == "running"
        assert [unfinished.id for unfinished in await store.unfinished_runs()] == [run.id]
    finally:
        await store.close()


async def test_a_second_sigterm_during_the_drain_is_harmless(
    serve: tuple[asyncio.subprocess.Process, str], upstreams: Upstreams
) -> None:
    process, url = serve
    upstreams.llm.stall_next(60)
    body, headers = SlackRequests(SIGNING_SECRET).command("why is OPS-2 blocked?")
    async with httpx.AsyncClient() as client:
        await client.post(f"{url}/slack/events", content=body, headers=headers)
    await upstreams.slack.wait_for(lambda: bool(upstreams.slack.calls("chat.startStream")), timeout=20)
    process.send_signal(signal.SIGTERM)
    process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(process.wait(), timeout=20) == 0
