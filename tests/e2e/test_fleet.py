"""A fleet is PostgreSQL plus more processes of the same app: two real `chatops serve` processes
answer questions spread over both exactly once each, within one shared Slack budget (Slack's
tiers, enforced by the simulator, never refuse a call), and a scheduled digest's tick posts once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from bot.store.models import utcnow
from bot.store.schedule import parse_spec
from bot.store.schedules import ScheduleRecord, Schedules
from bot.store.store import Store
from simulators.slack.tiers import TierEnforcer
from tests.e2e.conftest import SIGNING_SECRET, Upstreams
from tests.e2e.serve_process import serve_processes
from tests.e2e.slack_requests import ASKER, TEAM, SlackRequests

QUESTIONS = 20
REQUESTS = SlackRequests(SIGNING_SECRET)


@pytest.fixture
async def fleet(upstreams: Upstreams, postgres_url: str) -> AsyncIterator[list[str]]:
    async with serve_processes(upstreams, postgres_url, 2, {"HTTP_TIMEOUT_SECONDS": "60"}) as urls:
        yield urls


async def _mention(client: httpx.AsyncClient, url: str, channel: str) -> str:
    root, body, headers = REQUESTS.mention(channel, "why is OPS-2 blocked?")
    response = await client.post(f"{url}/slack/events", content=body, headers=headers)
    assert response.status_code == 200
    return root


def _answered(upstreams: Upstreams, channel: str, root: str) -> list[dict[str, Any]]:
    return [
        m
        for m in upstreams.slack.thread(channel, root)
        if m.get("bot_id") and m.get("state") != "streaming" and "OPS-1" in (m.get("text") or "")
    ]


@pytest.mark.timeout(240)
async def test_questions_spread_over_two_processes_are_answered_once_each_within_one_slack_budget(
    fleet: list[str], upstreams: Upstreams, postgres_url: str
) -> None:
    # Slack's tiers, with half a minute's burst: each process alone would stay within them, the
    # two together only if they share one budget (chat.startStream: 20 a minute, 10 at once).
    upstreams.slack.tiers = TierEnforcer(burst_minutes=0.5)
    channels = [f"C0FLEET{i:02d}" for i in range(QUESTIONS)]
    async with httpx.AsyncClient(timeout=20) as client:
        roots = await asyncio.gather(
            *(_mention(client, fleet[i % 2], channel) for i, channel in enumerate(channels))
        )
    threads = list(zip(channels, roots, strict=True))
    await upstreams.slack.wait_for(lambda: all(_answered(upstreams, c, r) for c, r in threads), timeout=180)

    assert upstreams.slack.tiers.refused == Counter(), "no call beyond Slack's tiers"
    assert [len(_answered(upstreams, c, r)) for c, r in threads] == [1] * QUESTIONS
    store = await Store.open(postgres_url)
    try:
        for channel, root in threads:
            conversation = await store.find_conversation(TEAM, channel, root)
            assert conversation is not None
            assert [run.status for run in await store.runs(conversation)] == ["succeeded"]
    finally:
        await store.close()
    # Both processes answered some: the questions were spread, not all taken by one.
    executors = await _executors_of_runs(postgres_url)
    assert len(executors) == 2, executors


async def _executors_of_runs(postgres_url: str) -> set[str]:
    import psycopg
    from sqlalchemy.engine import make_url

    plain = make_url(postgres_url).set(drivername="postgresql").render_as_string(False)
    async with await psycopg.AsyncConnection.connect(plain) as connection:
        cursor = await connection.execute(
            "SELECT DISTINCT executor_id FROM dbos.workflow_status WHERE name = 'chatops.run'"
        )
        return {str(row[0]) for row in await cursor.fetchall()}


async def _schedule_due_soon(store: Store, channel: str) -> tuple[ScheduleRecord, str]:
    """A daily digest due at the next whole minute that is at least 20 s away (UTC)."""
    due = (utcnow() + timedelta(seconds=80)).replace(second=0, microsecond=0)
    spec, scope = parse_spec(f"daily {due:%H:%M} UTC OPS acme/payments")
    schedule = await Schedules(store).add(
        team_id=TEAM, channel_id=channel, created_by=ASKER, spec=spec, scope=scope
    )
    return schedule, due.isoformat()


@pytest.mark.timeout(240)
async def test_a_schedule_tick_posts_once_across_two_processes(
    upstreams: Upstreams, postgres_url: str
) -> None:
    store = await Store.open(postgres_url)
    try:
        schedule, _ = await _schedule_due_soon(store, "C0TICK")
        async with serve_processes(upstreams, postgres_url, 2):
            # Both processes' DBOS schedulers fire the cron; the tick's workflow id is one.
            await upstreams.slack.wait_for(lambda: _digests(upstreams, "C0TICK") >= 1, timeout=150)
            await asyncio.sleep(3)  # time for a second post, were there one
        fires = await Schedules(store).fires(schedule.id)
    finally:
        await store.close()
    assert _digests(upstreams, "C0TICK") == 1
    assert [fire.outcome for fire in fires] == ["posted"]


def _digests(upstreams: Upstreams, channel: str) -> int:
    return len(
        [c for c in upstreams.slack.calls("chat.postMessage") if c.ok and c.args.get("channel") == channel]
    )
