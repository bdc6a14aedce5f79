"""Two `chatops serve` processes on one PostgreSQL database, as behind one URL on a platform that
runs several: an event delivered to both runs once, either one answers a follow-up with the
whole thread's history, an Approve clicked on both (or on the one that did not propose) writes
and resumes once, and a due scheduled digest is posted once."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlmodel import col

from bot.slack.blocks.approvals import APPROVE
from bot.store.approvals import Approvals
from bot.store.models import DigestSchedule, utcnow
from bot.store.schedule import parse_spec
from bot.store.schedules import ScheduleRecord, Schedules
from bot.store.store import RunRecord, Store
from simulators.llm import ToolCall
from simulators.slack import SlackSimulator
from tests.e2e.conftest import SIGNING_SECRET, Upstreams
from tests.e2e.serve_process import serve_processes
from tests.e2e.slack_requests import ASKER, BOT_USER, TEAM, SlackRequests
from tests.e2e.test_approval_flow import COMMENT, button, text_of, write_requests

CHANNEL = "C0GENERAL"
# A write the Jira simulator holds back must not time out on a loaded CI machine meanwhile.
PATIENT = {"HTTP_TIMEOUT_SECONDS": "60"}
SCOPE = "OPS acme/payments"
OTHER_COMMENT = ToolCall("jira_add_comment", {"key": "OPS-2", "body": "Deployed there too."})


@pytest.fixture
async def two_bots(upstreams: Upstreams, postgres_url: str) -> AsyncIterator[list[str]]:
    """Two serve processes started at the same moment (so both migrate the new database at once)."""
    async with serve_processes(upstreams, postgres_url, 2, PATIENT) as urls:
        yield urls


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


# -- approvals -------------------------------------------------------------------------------


async def _mention(url: str, requests: SlackRequests, text: str) -> str:
    """Mention the bot in a new thread, delivered to one process; the thread's root ts."""
    root = f"{time.time():.6f}"
    event = {
        "type": "app_mention",
        "user": ASKER,
        "text": f"<@{BOT_USER}> {text}",
        "ts": root,
        "channel": CHANNEL,
    }
    await _deliver([url], *requests.event(event))
    return root


def _proposals(slack: SlackSimulator, root: str) -> list[dict[str, Any]]:
    return [
        message
        for message in slack.thread(CHANNEL, root)
        if any(
            element.get("action_id") == APPROVE
            for block in message["blocks"]
            if block.get("type") == "actions"
            for element in block["elements"]
        )
    ]


async def _proposal(slack: SlackSimulator, root: str) -> dict[str, Any]:
    await slack.wait_for(lambda: bool(_proposals(slack, root)), timeout=30)
    (message,) = _proposals(slack, root)
    return message


def _answers(slack: SlackSimulator, root: str, text: str) -> list[dict[str, Any]]:
    return [m for m in slack.thread(CHANNEL, root) if text in m["text"] and m["state"] != "streaming"]


def _told_asker(slack: SlackSimulator) -> list[str]:
    return [m["text"] for m in slack.ephemeral_messages if m["user"] == ASKER]


async def _eventually(
    check: Callable[[], Awaitable[bool]],
    what: str,
    timeout: float = 60,  # noqa: ASYNC109
) -> None:
    """Re-check a condition (on the database or a simulator) until it holds; fails on timeout."""
    try:
        async with asyncio.timeout(timeout):
            while not await check():  # noqa: ASYNC110  # nothing to wait on in another process
                await asyncio.sleep(0.1)
    except TimeoutError:
        pytest.fail(f"never happened: {what}")


async def _settled_runs(postgres_url: str, root: str, count: int) -> list[RunRecord]:
    """The thread's runs, once ``count`` of them have finished."""
    store = await Store.open(postgres_url)
    try:
        found: list[RunRecord] = []

        async def finished() -> bool:
            conversation = await store.find_conversation(TEAM, CHANNEL, root)
            found[:] = [] if conversation is None else await store.runs(conversation)
            return len([run for run in found if run.finished]) >= count

        await _eventually(finished, f"{count} runs of the thread finish")
        return found
    finally:
        await store.close()


@pytest.mark.timeout(240)
async def test_an_approve_clicked_on_both_processes_writes_once_and_resumes_once(
    two_bots: list[str], upstreams: Upstreams, postgres_url: str
) -> None:
    first, second = two_bots
    slack, requests = upstreams.slack, SlackRequests(SIGNING_SECRET)
    upstreams.llm.script([[COMMENT], "I added the comment to OPS-1."])
    root = await _mention(first, requests, "please note on OPS-1 that the fix is deployed to staging")
    proposal = await _proposal(slack, root)
    approve = button(proposal, APPROVE)
    click = requests.block_action(approve, message=proposal, channel=CHANNEL)

    # The write is held at Jira, so the click on the other process lands while it is being made.
    upstreams.jira.hold()
    await _deliver(two_bots, *click)

    async def one_write_and_one_refusal() -> bool:
        return len(write_requests(upstreams)) == 1 and len(_told_asker(slack)) == 1

    await _eventually(one_write_and_one_refusal, "one write is made, the other click is refused")
    upstreams.jira.release()
    await slack.wait_for(lambda: bool(_answers(slack, root, "I added the comment")), timeout=30)
    await _deliver([second], *click)  # Slack delivers the same click once more, later
    await slack.wait_for(lambda: len(_told_asker(slack)) == 2, timeout=30)
    runs = await _settled_runs(postgres_url, root, 2)

    assert [w.operation for w in upstreams.jira.writes()] == ["addComment"]
    assert len(write_requests(upstreams)) == 1
    assert _told_asker(slack)[0].endswith("This change was already approved and is being made.")
    assert _told_asker(slack)[1].endswith("This proposal was already decided (executed).")
    outcome = slack.message(CHANNEL, proposal["ts"])
    assert outcome is not None and outcome["edits"] == 1, "the outcome replaced the proposal once"
    assert "Done" in text_of(outcome) and "Commented on OPS-1" in text_of(outcome)
    assert len(_answers(slack, root, "I added the comment to OPS-1.")) == 1, "one final answer"
    assert len(upstreams.llm.chat_requests()) == 2, "the model was asked once more, not twice"
    assert [(run.trigger, run.status) for run in runs] == [
        ("mention", "succeeded"),
        ("approval", "succeeded"),
    ]
    store = await Store.open(postgres_url)
    try:
        record = await Approvals(store).get(str(approve["value"]))
    finally:
        await store.close()
    assert record is not None and (record.status, record.decided_by) == ("executed", ASKER)


@pytest.mark.timeout(240)
async def test_an_approval_proposed_on_one_process_is_made_by_a_click_on_the_other(
    two_bots: list[str], upstreams: Upstreams, postgres_url: str
) -> None:
    first, second = two_bots
    slack, requests = upstreams.slack, SlackRequests(SIGNING_SECRET)
    upstreams.llm.script([[COMMENT], "Commented from the other process."])
    root = await _mention(first, requests, "note the deploy on OPS-1")
    proposal = await _proposal(slack, root)

    await _deliver([second], *requests.block_action(button(proposal, APPROVE), message=proposal))
    await slack.wait_for(lambda: bool(_answers(slack, root, "Commented from the other")), timeout=30)
    runs = await _settled_runs(postgres_url, root, 2)

    assert [w.operation for w in upstreams.jira.writes()] == ["addComment"]
    outcome = slack.message(CHANNEL, proposal["ts"])
    assert outcome is not None and "Done" in text_of(outcome)
    assert [run.trigger for run in runs] == ["mention", "approval"]
    assert _told_asker(slack) == []


@pytest.mark.timeout(240)
async def test_two_proposals_of_one_run_approved_on_different_processes_resume_it_once(
    two_bots: list[str], upstreams: Upstreams, postgres_url: str
) -> None:
    first, second = two_bots
    slack, requests = upstreams.slack, SlackRequests(SIGNING_SECRET)
    upstreams.llm.script([[COMMENT, OTHER_COMMENT], "Both issues have their comment."])
    root = await _mention(first, requests, "note the deploy on OPS-1 and OPS-2")
    await slack.wait_for(lambda: len(_proposals(slack, root)) == 2, timeout=30)
    clicks = [
        requests.block_action(button(proposal, APPROVE), message=proposal)
        for proposal in _proposals(slack, root)
    ]

    # Both writes are held at Jira and released together: both processes then find every
    # proposal of the run decided at the same moment, and each tries to resume it. (This caught
    # the unlocked read in `Approvals.take_resumption` in about one run of four;
    # tests/bot/store/test_resumption_lock.py pins that interleaving down.)
    upstreams.jira.hold()
    await asyncio.gather(*(_deliver([url], *click) for url, click in zip(two_bots, clicks, strict=True)))
    await _eventually(lambda: _writes_reached(upstreams, 2), "both writes reach Jira")
    upstreams.jira.release()
    await slack.wait_for(lambda: bool(_answers(slack, root, "Both issues have")), timeout=30)
    runs = await _settled_runs(postgres_url, root, 2)

    assert sorted(w.target for w in upstreams.jira.writes()) == ["OPS-1", "OPS-2"]
    resumed = [run for run in runs if run.trigger == "approval" and run.status == "succeeded"]
    assert len(resumed) == 1, [(run.trigger, run.status, run.error) for run in runs]
    assert len(upstreams.llm.chat_requests()) == 2, "the model was asked once more, not twice"
    assert len(_answers(slack, root, "Both issues have their comment.")) == 1


async def _writes_reached(upstreams: Upstreams, count: int) -> bool:
    return len(write_requests(upstreams)) >= count


# -- schedules -------------------------------------------------------------------------------


async def _add_due_schedule(store: Store, channel: str) -> tuple[ScheduleRecord, datetime]:
    """A daily digest whose latest due time was a few minutes ago, made (backdated) before that:
    what the schedulers find due when they tick. Returns it and that due time."""
    now = utcnow()
    due = (now - timedelta(minutes=5)).replace(second=0, microsecond=0)
    spec, scope = parse_spec(f"daily {due:%H:%M} UTC {SCOPE}")  # as `/standup schedule` reads it
    schedule = await Schedules(store).add(
        team_id=TEAM, channel_id=channel, created_by=ASKER, spec=spec, scope=scope
    )
    backdate = (
        sa.update(DigestSchedule)
        .where(col(DigestSchedule.id) == schedule.id)
        .values(created_at=now - timedelta(minutes=20))
    )
    async with store.writing() as session:
        await session.exec(backdate)
    return schedule, due


async def _claim_attempts(postgres_url: str) -> int:
    """How many times any process tried to claim a due time. Every claim is an INSERT, which
    takes an id from the table's sequence even when the unique constraint then refuses it
    (sequences are never rolled back), so this counts the losers too."""
    plain_url = make_url(postgres_url).set(drivername="postgresql")
    async with await psycopg.AsyncConnection.connect(plain_url.render_as_string(False)) as connection:
        cursor = await connection.execute("SELECT last_value, is_called FROM schedule_fires_id_seq")
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0]) if row[1] else 0


def _digests(slack: SlackSimulator, channel: str) -> list[dict[str, Any]]:
    return [c.args for c in slack.calls("chat.postMessage") if c.ok and c.args.get("channel") == channel]


@pytest.mark.timeout(240)
async def test_a_due_schedule_is_posted_once_by_two_processes(
    upstreams: Upstreams, postgres_url: str
) -> None:
    slack = upstreams.slack
    store = await Store.open(postgres_url)
    try:
        schedules = Schedules(store)
        schedule, due = await _add_due_schedule(store, "C0STANDUP")

        async def finished(schedule_id: int) -> bool:
            return any(fire.outcome for fire in await schedules.fires(schedule_id))

        async with serve_processes(upstreams, postgres_url, 2, PATIENT):
            # Both processes catch up the missed due time at start-up, under its one workflow id.
            await _eventually(lambda: finished(schedule.id), "the digest is posted")
            # A schedule added meanwhile is found by each process at its next re-read of the table.
            later, _ = await _add_due_schedule(store, "C0LATER")
            await _eventually(lambda: finished(later.id), "the later digest is posted", timeout=150)
        fires = await schedules.fires(schedule.id)
    finally:
        await store.close()

    (digest,) = _digests(slack, "C0STANDUP")
    assert "thread_ts" not in digest, "at the top of the channel"
    assert digest["blocks"][0]["text"]["text"] == "Standup · OPS, acme/payments"
    assert len(_digests(slack, "C0LATER")) == 1
    assert [(fire.due_at, fire.outcome) for fire in fires] == [(due, "posted")]
    # One workflow per due time across the fleet: the losing process never even tries to claim.
    assert await _claim_attempts(postgres_url) == 2, "each due time was claimed once"
