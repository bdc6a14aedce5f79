"""The structured workflows over HTTP: /standup and its schedules, /triage, `/jira create` and the
"Jira issue from thread" shortcut, each ending in the approval flow where it proposes a
write. Real app, simulated Slack, Jira, GitHub and (rule-based) LLM."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from sqlmodel import col

from bot.config import Settings
from bot.slack.blocks.approvals import APPROVE
from bot.slack.listeners.workflows import SHORTCUT, UNSCHEDULE_ACTION
from bot.store import ScheduleRecord, Schedules, utcnow
from bot.store.models import DigestSchedule
from bot.store.schedule import parse_spec
from bot.store.store import RunRecord, Store
from bot.workflows.services import Workflows
from tests.e2e.conftest import RunningBot, Upstreams
from tests.e2e.serve_process import serve_processes
from tests.e2e.slack_requests import ASKER, TEAM, SlackRequests
from tests.e2e.test_approval_flow import approval_ids, click, ephemeral_to, proposal_calls, shown, text_of

CHANNEL = "C0GENERAL"
OTHER = "U0SOMEONE"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The e2e settings with a project allowlist: its first project takes issues from threads."""
    return settings.model_copy(update={"jira_projects": ["OPS", "WEB"]})


async def command(bot: RunningBot, requests: SlackRequests, name: str, text: str, **options: Any) -> str:
    response = await bot.post(*requests.command(text, channel=CHANNEL, command=name, **options))
    assert response.status_code == 200
    return response.text


def shortcut(
    requests: SlackRequests, message: dict[str, Any], *, user: str = ASKER
) -> tuple[str, dict[str, str]]:
    """A message shortcut (``message_action``) on ``message``, signed as Slack sends it."""
    payload = {
        "type": "message_action",
        "callback_id": SHORTCUT,
        "trigger_id": uuid.uuid4().hex,
        "action_ts": f"{time.time():.6f}",
        "team": {"id": TEAM, "domain": "sim"},
        "user": {"id": user, "username": "asker", "team_id": TEAM},
        "channel": {"id": CHANNEL, "name": "general"},
        "message": {
            key: message[key] for key in ("type", "ts", "thread_ts", "text", "user") if key in message
        },
        "response_url": "http://127.0.0.1:9/unused",
    }
    body = urlencode({"payload": json.dumps(payload)})
    return body, {"Content-Type": "application/x-www-form-urlencoded", **requests.sign(body)}


async def resumed_run(bot: RunningBot, thread_ts: str) -> RunRecord:
    """The run that resumed after the decision, once it has finished."""
    for _ in range(1000):
        await bot.settle()
        conversation = await bot.services.store.find_conversation(TEAM, CHANNEL, thread_ts)
        runs = await bot.services.store.runs(conversation) if conversation is not None else []
        done = [run for run in runs if run.trigger == "approval" and run.finished]
        if done:
            return done[0]
        await asyncio.sleep(0.005)
    raise AssertionError("the paused run was never resumed")


def workflows_of(bot: RunningBot) -> Workflows:
    assert bot.services.workflows is not None
    return bot.services.workflows


def thread_replies(upstreams: Upstreams) -> list[dict[str, Any]]:
    return [
        call.args
        for call in upstreams.slack.calls("chat.postMessage")
        if call.ok and call.args.get("thread_ts")
    ]


async def test_standup_posts_the_digest_as_block_kit_under_a_visible_parent(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    assert await command(bot, slack_requests, "/standup", "OPS acme/payments") == ""
    await upstreams.slack.wait_for(lambda: len(thread_replies(upstreams)) == 1)

    (parent,) = [c.args for c in upstreams.slack.calls("chat.postMessage") if not c.args.get("thread_ts")]
    assert parent["text"] == f"<@{ASKER}> asked for a standup digest: OPS, acme/payments"
    (digest,) = thread_replies(upstreams)
    blocks = digest["blocks"]
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Standup · OPS, acme/payments"},
    }
    text = "\n".join(block.get("text", {}).get("text", "") for block in blocks[1:])
    assert "*Blocked*" in text and f"<{upstreams.jira.url}/browse/OPS-2|OPS-2 · " in text
    assert digest["unfurl_links"] is False
    assert any(r.path == "/repos/acme/payments/actions/runs" for r in upstreams.github.requests)


async def test_a_standup_word_it_cannot_place_is_answered_privately_in_the_ack(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    reply = await command(bot, slack_requests, "/standup", "the payments people")
    assert "I don't know the project, repository or team 'the'" in reply
    assert upstreams.slack.calls("chat.postMessage") == []


async def test_jira_create_drafts_the_issue_and_only_the_askers_approval_creates_it_once(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    assert await command(bot, slack_requests, "/jira", "create OPS checkout times out after the deploy") == ""
    await upstreams.slack.wait_for(lambda: len(proposal_calls(upstreams.slack)) == 1)
    await bot.settle()

    thread = upstreams.slack.thread(CHANNEL, str(proposal_calls(upstreams.slack)[0].args["thread_ts"]))
    assert (
        thread[0]["text"] == f"<@{ASKER}> asked for a Jira issue in OPS: checkout times out after the deploy"
    )
    assert "Draft Jira issue for OPS" in thread[1]["text"] and "Bug: checkout times out" in thread[1]["text"]
    (approval_id,) = approval_ids(upstreams.slack)
    preview = text_of(await shown(bot, upstreams.slack, approval_id))
    assert "Create a Jira issue in OPS" in preview and "Type: Bug" in preview

    await click(bot, upstreams, slack_requests, approval_id, APPROVE, user=OTHER)
    await upstreams.slack.wait_for(lambda: bool(ephemeral_to(upstreams.slack, OTHER)))
    assert "Only the person who asked" in ephemeral_to(upstreams.slack, OTHER)[0]
    assert upstreams.jira.writes() == [], "someone else's click runs nothing"

    await asyncio.gather(*(click(bot, upstreams, slack_requests, approval_id, APPROVE) for _ in range(3)))
    # One click executes; the other two are told it was already decided; the agent closes the thread.
    await upstreams.slack.wait_for(lambda: len(ephemeral_to(upstreams.slack, ASKER)) == 2)
    resumed = await resumed_run(bot, thread[0]["ts"])
    assert resumed.status == "succeeded"
    closing = upstreams.slack.thread(CHANNEL, thread[0]["ts"])[-1]["text"]
    assert closing.startswith(f"Created OPS-37 ({upstreams.jira.url}/browse/OPS-37)"), (
        "the outcome, in context"
    )
    (created,) = upstreams.jira.writes()
    assert created.operation == "createIssue"
    assert created.body["fields"]["summary"] == "checkout times out after the deploy"
    assert created.body["fields"]["project"]["key"] == "OPS"
    record = await bot.services.desk.approvals.get(approval_id) if bot.services.desk else None
    assert record is not None and record.status == "executed" and record.result_url


async def test_the_thread_shortcut_drafts_from_the_stored_thread(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    await command(bot, slack_requests, "/ask", "why is OPS-2 blocked?")
    await upstreams.slack.wait_for(lambda: bool(upstreams.slack.calls("chat.stopStream")))
    await bot.settle()
    stream = upstreams.slack.calls("chat.startStream")[0]
    root = upstreams.slack.thread(CHANNEL, str(stream.args["thread_ts"]))[0]

    response = await bot.post(*shortcut(slack_requests, root))
    assert response.status_code == 200
    await upstreams.slack.wait_for(lambda: len(proposal_calls(upstreams.slack)) == 1)
    await bot.settle()

    (approval_id,) = approval_ids(upstreams.slack)
    assert proposal_calls(upstreams.slack)[0].args["thread_ts"] == root["ts"], "answered in the same thread"
    record = await bot.services.desk.approvals.get(approval_id) if bot.services.desk else None
    assert record is not None and record.tool == "jira_create_issue" and record.args["project"] == "OPS"
    assert "why is OPS-2 blocked?" in record.args["description"], "drafted from the stored thread"
    assert upstreams.jira.writes() == [], "nothing is created before the approval"


async def test_triage_shows_the_classification_and_proposes_the_updates(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    await command(bot, slack_requests, "/triage", "OPS-6")
    await upstreams.slack.wait_for(lambda: len(proposal_calls(upstreams.slack)) == 2)
    await bot.settle()

    thread = upstreams.slack.thread(CHANNEL, str(proposal_calls(upstreams.slack)[0].args["thread_ts"]))
    triage = thread[1]["text"]
    assert "Triage of OPS-6" in triage and "Possible duplicates: OPS-5" in triage
    records = (
        [await bot.services.desk.approvals.get(i) for i in approval_ids(upstreams.slack)]
        if bot.services.desk
        else []
    )
    assert [r.tool for r in records if r] == ["jira_add_comment", "jira_assign"]
    assert upstreams.jira.writes() == []


async def test_standup_schedules_are_made_listed_and_removed_in_the_channel(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    made = await command(bot, slack_requests, "/standup", "schedule weekdays 09:30 Europe/Berlin OPS")
    assert made.startswith("Scheduled #1: a standup digest for OPS here, weekdays 09:30 Europe/Berlin.")
    assert "Usage" in await command(bot, slack_requests, "/standup", "schedule someday 09:30 UTC")

    listed = json.loads(await command(bot, slack_requests, "/standup", "schedules"))
    (entry,) = [block for block in listed["blocks"] if block.get("accessory")]
    assert entry["accessory"]["action_id"] == UNSCHEDULE_ACTION and entry["accessory"]["value"] == "1"

    removed = await command(bot, slack_requests, "/standup", "unschedule 1")
    assert json.loads(removed)["text"] == "Removed #1."
    assert await workflows_of(bot).schedules.in_channel(TEAM, CHANNEL) == []


async def _backdated_schedule(database_url: str, text: str) -> ScheduleRecord:
    """A schedule in the channel, made a day ago (as if its due times had been missed since)."""
    spec, scope = parse_spec(text)
    store = await Store.open(database_url)
    try:
        schedules = Schedules(store)
        record = await schedules.add(
            team_id=TEAM, channel_id=CHANNEL, created_by=ASKER, spec=spec, scope=scope
        )
        backdate = (
            sa.update(DigestSchedule)
            .where(col(DigestSchedule.id) == record.id)
            .values(created_at=utcnow() - timedelta(days=1))
        )
        async with store.writing() as session:
            await session.exec(backdate)
        return record
    finally:
        await store.close()


async def _fires(database_url: str, schedule_id: int) -> list[tuple[str, str | None]]:
    store = await Store.open(database_url)
    try:
        return [(fire.claimed_by, fire.outcome) for fire in await Schedules(store).fires(schedule_id)]
    finally:
        await store.close()


def _digests(upstreams: Upstreams) -> list[dict[str, Any]]:
    return [c.args for c in upstreams.slack.calls("chat.postMessage") if c.ok and c.args.get("blocks")]


@pytest.mark.timeout(180)
async def test_a_due_digest_is_posted_once_by_two_serve_processes_on_one_database(
    upstreams: Upstreams, database_url: str
) -> None:
    # Both processes find the same missed due time at start-up and catch it up: one workflow id.
    due = utcnow() - timedelta(minutes=2)
    schedule = await _backdated_schedule(database_url, f"daily {due:%H:%M} UTC OPS acme/payments")

    async with serve_processes(upstreams, database_url, 2):
        await upstreams.slack.wait_for(lambda: bool(_digests(upstreams)), timeout=60)
        for _ in range(200):
            fires = await _fires(database_url, schedule.id)
            if fires and fires[0][1] is not None:
                break
            await asyncio.sleep(0.05)

    posts = _digests(upstreams)
    assert len(posts) == 1 and "thread_ts" not in posts[0], "one digest, at the top of the channel"
    assert posts[0]["blocks"][0]["text"]["text"] == "Standup · OPS, acme/payments"
    assert [outcome for _, outcome in await _fires(database_url, schedule.id)] == ["posted"]
