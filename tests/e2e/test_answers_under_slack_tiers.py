"""A burst of questions against Slack's real tiers (the simulator refuses what Slack would):
every answer arrives complete, in one message that carries its feedback buttons, on the best rung
its budget allowed — streamed while Tier 2 lasted, posted whole once budgets were short."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bot.slack.blocks import feedback_blocks
from simulators.slack.tiers import TierEnforcer
from tests.e2e.conftest import SIGNING_SECRET, Upstreams
from tests.e2e.serve_process import serve_processes
from tests.e2e.slack_requests import SlackRequests

CHANNELS, PER_CHANNEL = 6, 5
REQUESTS = SlackRequests(SIGNING_SECRET)


@pytest.fixture
async def bot(upstreams: Upstreams, database_url: str) -> AsyncIterator[str]:
    # A few seconds' burst only, as tight as Slack may be: streams and updates run out at once.
    upstreams.slack.tiers = TierEnforcer(burst_minutes=0.05)
    async with serve_processes(upstreams, database_url, 1) as (url,):
        yield url


async def _mention(client: httpx.AsyncClient, url: str, channel: str, index: int) -> str:
    root = f"{time.time():.6f}{index:02d}"[:17]  # distinct however fast the questions come
    _, body, headers = REQUESTS.mention(channel, "why is OPS-2 blocked?", root=root)
    response = await client.post(f"{url}/slack/events", content=body, headers=headers)
    assert response.status_code == 200
    return root


def _replies(upstreams: Upstreams, channel: str, root: str) -> list[dict[str, Any]]:
    return [m for m in upstreams.slack.thread(channel, root) if m["ts"] != root and m.get("bot_id")]


def _complete(message: dict[str, Any]) -> bool:
    """Finished: no longer streaming, the whole answer, and its last write made (the buttons)."""
    finished = message["state"] != "streaming" and "OPS-1" in (message.get("text") or "")
    return finished and any(block["type"] == "context_actions" for block in message["blocks"])


@pytest.mark.timeout(180)
async def test_a_burst_is_answered_complete_one_message_each_on_the_rung_the_budget_allowed(
    bot: str, upstreams: Upstreams
) -> None:
    channels = [f"C0BURST{i:02d}" for i in range(CHANNELS)]
    async with httpx.AsyncClient(timeout=20) as client:
        roots = await asyncio.gather(
            *(_mention(client, bot, channel, n) for n in range(PER_CHANNEL) for channel in channels)
        )
    threads = [(channels[i % CHANNELS], root) for i, root in enumerate(roots)]
    await upstreams.slack.wait_for(
        lambda: all(any(_complete(m) for m in _replies(upstreams, c, r)) for c, r in threads), timeout=150
    )

    streamed, posted_whole = 0, 0
    for channel, root in threads:
        (answer,) = _replies(upstreams, channel, root)  # one message per answer
        assert _complete(answer)
        run_id = answer["blocks"][-1]["block_id"].removeprefix("details:")
        assert answer["blocks"][-len(feedback_blocks(run_id)) :] == feedback_blocks(run_id)
        calls = [
            c for c in upstreams.slack.calls() if c.ok and root in (c.args.get("thread_ts"), c.args.get("ts"))
        ]
        touching = {c.method for c in calls} | {
            c.method for c in upstreams.slack.calls() if c.ok and c.args.get("ts") == answer["ts"]
        }
        streamed += "chat.startStream" in touching
        posted_whole += touching.isdisjoint({"chat.startStream", "chat.update"})
    assert streamed >= 1, "the first answers stream while Tier 2 budget lasts"
    assert posted_whole >= 1, "once budgets are short, answers are posted whole"
