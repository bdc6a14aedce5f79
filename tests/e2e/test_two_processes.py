"""Two `chatops serve` processes on one PostgreSQL database, as behind one URL on a platform that
runs several: an event delivered to both runs once, and either one answers a follow-up with the
whole thread's history."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.store import Store
from simulators.slack import SlackSimulator
from tests.e2e.conftest import SIGNING_SECRET, Upstreams
from tests.e2e.serve_process import free_port, serve_env, wait_healthy
from tests.e2e.slack_requests import ASKER, BOT_USER, TEAM, SlackRequests

CHANNEL = "C0GENERAL"


@pytest.fixture
async def two_bots(upstreams: Upstreams, postgres_url: str) -> AsyncIterator[list[str]]:
    """Two serve processes started at the same moment (so both migrate the new database at once)."""
    ports = [free_port(), free_port()]
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "serve",
            env=serve_env(upstreams, postgres_url, port),
            stderr=asyncio.subprocess.PIPE,
        )
        for port in ports
    ]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        await asyncio.gather(*(wait_healthy(url, p) for url, p in zip(urls, processes, strict=True)))
        yield urls
    finally:
        for process in processes:
            if process.returncode is None:
                process.terminate()
        for process in processes:
            await asyncio.wait_for(process.wait(), timeout=20)


async def _streams_stopped(slack: SlackSimulator, count: int) -> None:
    await slack.wait_for(
        lambda: len([c for c in slack.calls("chat.stopStream") if c.ok]) >= count, timeout=30
    )


async def _deliver(urls: list[str], body: str, headers: dict[str, str]) -> None:
    async with httpx.AsyncClient(timeout=20) as client:
        responses = await asyncio.gather(
            *(client.post(f"{url}/slack/events", content=body, headers=headers) for url in urls)
        )
    assert [r.status_code for r in responses] == [200] * len(urls)


def _reply(text: str, root: str) -> dict[str, str]:
    return {
        "type": "message",
        "user": ASKER,
        "text": text,
        "ts": f"{time.time():.6f}",
        "thread_ts": root,
        "channel": CHANNEL,
        "channel_type": "channel",
    }


@pytest.mark.timeout(240)
async def test_an_event_delivered_to_both_runs_once_and_follow_ups_share_the_history(
    two_bots: list[str], upstreams: Upstreams, postgres_url: str
) -> None:
    first, second = two_bots
    requests = SlackRequests(SIGNING_SECRET)
    root = f"{time.time():.6f}"
    mention = {
        "type": "app_mention",
        "user": ASKER,
        "text": f"<@{BOT_USER}> why is OPS-2 blocked?",
        "ts": root,
        "channel": CHANNEL,
    }
    # The same delivery reaches both processes at once (a retry that landed on the other one).
    await _deliver(two_bots, *requests.event(mention, event_id="Ev0BOTHPROCS"))
    await _streams_stopped(upstreams.slack, 1)

    # A follow-up to one process, then another to the other: each sees the whole thread.
    await _deliver([first], *requests.event(_reply("who is fixing it?", root)))
    await _streams_stopped(upstreams.slack, 2)
    await _deliver([second], *requests.event(_reply("and when is it due?", root)))
    await _streams_stopped(upstreams.slack, 3)

    last_request = json.dumps(upstreams.llm.chat_requests()[-1]["messages"])
    for question in ("why is OPS-2 blocked?", "who is fixing it?", "and when is it due?"):
        assert question in last_request

    store = await Store.open(postgres_url)
    try:
        conversation = await store.find_conversation(TEAM, CHANNEL, root)
        assert conversation is not None
        runs = await store.runs(conversation)
        history = await store.history(conversation)
    finally:
        await store.close()
    # Both acks returned before any run could start, and only the claim's winner runs it.
    assert [run.trigger for run in runs] == ["mention", "followup", "followup"]
    assert all(run.status == "succeeded" for run in runs)
    assert [turn.role for turn in history] == ["user", "assistant"] * 3
    assert len(upstreams.slack.calls("chat.startStream")) == 3
    assert history[1].text[:40] in last_request  # the first answer, written by either process
