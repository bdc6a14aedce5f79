"""Approval-gated writes over HTTP: the agent proposes, the thread shows the preview with buttons,
and only the asker's Approve makes the write, exactly once (double clicks, other users, restarts,
expiry, Deny, Edit). The LLM is scripted; Jira and GitHub are the simulators, which count writes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bot.config import Settings
from bot.slack.blocks.approvals import APPROVE, DENY, EDIT, field_block_id
from bot.store.models import utcnow
from simulators.llm import ToolCall
from simulators.slack import RecordedCall, SlackSimulator
from tests.e2e.conftest import RunningBot, StartBot, Upstreams
from tests.e2e.slack_requests import ASKER, SlackRequests
from tests.e2e.slack_views import view_submission

CHANNEL = "C0GENERAL"
OTHER = "U0SOMEONE"
COMMENT = ToolCall("jira_add_comment", {"key": "OPS-1", "body": "Deployed the fix to staging."})


def proposal_calls(slack: SlackSimulator) -> list[RecordedCall]:
    return [
        call
        for call in slack.calls("chat.postMessage")
        if call.ok and any(_button(block, APPROVE) for block in call.args.get("blocks") or [])
    ]


def approval_ids(slack: SlackSimulator) -> list[str]:
    """The approvals proposed in the thread so far, in order (from their Approve buttons)."""
    ids: list[str] = []
    for call in proposal_calls(slack):
        for block in call.args["blocks"]:
            found = _button(block, APPROVE)
            if found is not None:
                ids.append(str(found["value"]))
    return ids


async def shown(bot: RunningBot, slack: SlackSimulator, approval_id: str) -> dict[str, Any]:
    """The proposal's message as the thread shows it now (after any update)."""
    assert bot.services.desk is not None
    record = await bot.services.desk.approvals.get(approval_id)
    assert record is not None and record.message_ts is not None
    message = slack.message(CHANNEL, record.message_ts)
    assert message is not None
    return message


def _button(block: dict[str, Any], action_id: str) -> dict[str, Any] | None:
    if block.get("type") != "actions":
        return None
    return next((e for e in block["elements"] if e.get("action_id") == action_id), None)


def button(message: dict[str, Any], action_id: str) -> dict[str, Any]:
    for block in message["blocks"]:
        found = _button(block, action_id)
        if found is not None:
            return {"action_id": action_id, "block_id": block["block_id"], "value": found["value"]}
    raise AssertionError(f"no {action_id} button in {message['blocks']}")


def text_of(message: dict[str, Any]) -> str:
    parts = [message.get("text", "")]
    for block in message.get("blocks", []):
        parts.append((block.get("text") or {}).get("text", ""))
        parts.extend(e.get("text", "") for e in block.get("elements", []) if block["type"] == "context")
    return "\n".join(parts)


def write_requests(upstreams: Upstreams) -> list[str]:
    """Every request to a write endpoint either simulator received (accepted or not)."""
    jira = [
        f"{r.method} {r.path}"
        for r in upstreams.jira.requests
        if r.method in ("PUT", "DELETE") or (r.method == "POST" and "/search" not in r.path)
    ]
    github = [
        f"{r.method} {r.path}"
        for r in upstreams.github.requests
        if r.method != "GET" and not r.path.endswith(("/graphql", "/access_tokens"))
    ]
    return jira + github


async def ask(
    bot: RunningBot, upstreams: Upstreams, requests: SlackRequests, text: str, count: int = 1
) -> None:
    """/ask, then wait until the run has ended with ``count`` proposals in the thread."""
    response = await bot.post(*requests.command(text, channel=CHANNEL))
    assert response.status_code == 200
    await upstreams.slack.wait_for(lambda: len(proposal_calls(upstreams.slack)) >= count)
    await bot.settle()


async def click(
    bot: RunningBot,
    upstreams: Upstreams,
    requests: SlackRequests,
    approval_id: str,
    action_id: str,
    *,
    user: str = ASKER,
) -> dict[str, Any]:
    """Click a button on the proposal as Slack would; returns the message as it was clicked."""
    message = await shown(bot, upstreams.slack, approval_id)
    action = button(message, action_id)
    response = await bot.post(*requests.block_action(action, message=message, channel=CHANNEL, user=user))
    assert response.status_code == 200
    return message


async def until(slack: SlackSimulator, bot: RunningBot, condition: Callable[[], bool]) -> None:
    await slack.wait_for(condition)
    await bot.settle()


def replied(slack: SlackSimulator, text: str) -> Callable[[], bool]:
    def check() -> bool:
        calls = proposal_calls(slack)
        if not calls:
            return False
        return any(text in m["text"] for m in slack.thread(CHANNEL, str(calls[0].args["thread_ts"])))

    return check


def ephemeral_to(slack: SlackSimulator, user: str) -> list[str]:
    return [m["text"] for m in slack.ephemeral_messages if m["user"] == user]


# -- the tests -----------------------------------------------------------------------------


async def test_the_askers_approval_runs_exactly_one_write_and_the_run_resumes(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    upstreams.llm.script([[COMMENT], "I added the comment to OPS-1."])
    await ask(bot, upstreams, slack_requests, "please note on OPS-1 that the fix is deployed to staging")

    (approval_id,) = approval_ids(upstreams.slack)
    proposal = await shown(bot, upstreams.slack, approval_id)
    text = text_of(proposal)
    assert "Comment on Jira issue OPS-1:\nDeployed the fix to staging." in text, "exactly what will be sent"
    assert {button(proposal, a)["action_id"] for a in (APPROVE, EDIT, DENY)} == {APPROVE, EDIT, DENY}
    assert f"Only <@{ASKER}> can approve" in text
    assert write_requests(upstreams) == [], "proposing writes nothing"

    await click(bot, upstreams, slack_requests, approval_id, APPROVE)
    await until(upstreams.slack, bot, replied(upstreams.slack, "I added the comment to OPS-1."))

    assert [w.operation for w in upstreams.jira.writes()] == ["addComment"]
    assert len(write_requests(upstreams)) == 1
    outcome = await shown(bot, upstreams.slack, approval_id)
    assert "Done" in text_of(outcome) and "Commented on OPS-1" in text_of(outcome)
    assert not any(b["type"] == "actions" for b in outcome["blocks"]), "the buttons are gone"
    assert "|Open it>" in text_of(outcome), "the result links to the comment"
    # The resumed run told the model what happened, as the result of its own tool call.
    last = upstreams.llm.chat_requests()[-1]["messages"]
    tool_results = [m for m in last if m["role"] == "tool"]
    assert "Commented on OPS-1" in tool_results[-1]["content"]
    assert bot.services.desk is not None
    record = await bot.services.desk.approvals.get(approval_id)
    assert record is not None and record.status == "executed" and record.decided_by == ASKER


async def test_someone_elses_click_runs_nothing(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    upstreams.llm.script([[COMMENT], "Commented."])
    await ask(bot, upstreams, slack_requests, "note the deploy on OPS-1")
    (approval_id,) = approval_ids(upstreams.slack)

    for action in (APPROVE, DENY):
        await click(bot, upstreams, slack_requests, approval_id, action, user=OTHER)
    await upstreams.slack.wait_for(lambda: len(ephemeral_to(upstreams.slack, OTHER)) == 2)
    await bot.settle()

    assert all("Only the person who asked" in text for text in ephemeral_to(upstreams.slack, OTHER))
    assert write_requests(upstreams) == []
    assert bot.services.desk is not None
    record = await bot.services.desk.approvals.get(approval_id)
    assert record is not None and record.status == "pending", "the asker can still decide"
    assert (await shown(bot, upstreams.slack, approval_id))["edits"] == 0


async def test_double_clicks_and_a_replayed_click_write_once(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    upstreams.llm.script([[COMMENT], "Commented once."])
    await ask(bot, upstreams, slack_requests, "note the deploy on OPS-1")
    (approval_id,) = approval_ids(upstreams.slack)
    message = await shown(bot, upstreams.slack, approval_id)
    click_body = slack_requests.block_action(button(message, APPROVE), message=message, channel=CHANNEL)

    responses = await asyncio.gather(*(bot.post(*click_body) for _ in range(3)))
    assert [r.status_code for r in responses] == [200, 200, 200]
    await until(upstreams.slack, bot, replied(upstreams.slack, "Commented once."))
    await bot.post(*click_body)  # Slack redelivers the same click later
    await upstreams.slack.wait_for(lambda: len(ephemeral_to(upstreams.slack, ASKER)) == 3)
    await bot.settle()

    assert [w.operation for w in upstreams.jira.writes()] == ["addComment"]
    assert len(write_requests(upstreams)) == 1
    answers = ephemeral_to(upstreams.slack, ASKER)
    assert all("already" in text for text in answers), answers
    assert "already decided (executed)" in answers[-1], "the late replay sees the outcome"
    resumed = [
        r
        for r in await bot.services.store.runs(await _conversation(bot, upstreams))
        if r.trigger == "approval"
    ]
    assert len(resumed) == 1, "the agent resumes once"


async def _conversation(bot: RunningBot, upstreams: Upstreams) -> int:
    thread_ts = str(proposal_calls(upstreams.slack)[0].args["thread_ts"])
    found = await bot.services.store.find_conversation("T0SIMTEAM", CHANNEL, thread_ts)
    assert found is not None
    return found


async def test_a_restart_between_proposal_and_approval_still_completes(
    start_bot: StartBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    first = await start_bot()
    upstreams.llm.script([[COMMENT], "Commented after the restart."])
    await ask(first, upstreams, slack_requests, "note the deploy on OPS-1")
    (approval_id,) = approval_ids(upstreams.slack)
    message = await shown(first, upstreams.slack, approval_id)
    await first.stop()

    second = await start_bot()
    action = button(message, APPROVE)
    response = await second.post(*slack_requests.block_action(action, message=message, channel=CHANNEL))
    assert response.status_code == 200
    await until(upstreams.slack, second, replied(upstreams.slack, "Commented after the restart."))

    assert [w.operation for w in upstreams.jira.writes()] == ["addComment"]
    assert "Done" in text_of(await shown(second, upstreams.slack, approval_id))


async def test_an_expired_proposal_cannot_be_approved(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    upstreams.llm.script([[COMMENT], "The proposal expired, so nothing changed."])
    await ask(bot, upstreams, slack_requests, "note the deploy on OPS-1")
    (approval_id,) = approval_ids(upstreams.slack)
    assert bot.services.desk is not None
    approvals = bot.services.desk.approvals
    record = await approvals.get(approval_id)
    assert record is not None
    assert record.expires_at - utcnow() <= timedelta(minutes=15), "APPROVAL_TTL_MINUTES defaults to 15"
    approvals.clock = lambda: record.expires_at + timedelta(seconds=1)

    await click(bot, upstreams, slack_requests, approval_id, APPROVE)
    await until(upstreams.slack, bot, replied(upstreams.slack, "The proposal expired"))

    assert write_requests(upstreams) == []
    expired = await approvals.get(approval_id)
    assert expired is not None and expired.status == "expired"
    assert "Expired; nothing was changed" in text_of(await shown(bot, upstreams.slack, approval_id))
    tool_result = [m for m in upstreams.llm.chat_requests()[-1]["messages"] if m["role"] == "tool"][-1]
    assert "expired" in tool_result["content"]


async def test_deny_is_recorded_and_the_agent_is_told(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    upstreams.llm.script([[COMMENT], "Understood, I left OPS-1 alone."])
    await ask(bot, upstreams, slack_requests, "note the deploy on OPS-1")
    (approval_id,) = approval_ids(upstreams.slack)

    await click(bot, upstreams, slack_requests, approval_id, DENY)
    await until(upstreams.slack, bot, replied(upstreams.slack, "Understood, I left OPS-1 alone."))

    assert write_requests(upstreams) == []
    assert bot.services.desk is not None
    record = await bot.services.desk.approvals.get(approval_id)
    assert record is not None and record.status == "denied" and record.decided_by == ASKER
    assert "Denied" in text_of(await shown(bot, upstreams.slack, approval_id))
    tool_result = [m for m in upstreams.llm.chat_requests()[-1]["messages"] if m["role"] == "tool"][-1]
    assert "denied" in tool_result["content"]


async def test_edit_opens_the_draft_and_the_approved_write_sends_the_edit(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    upstreams.llm.script([[COMMENT], "Posted your edited comment."])
    await ask(bot, upstreams, slack_requests, "note the deploy on OPS-1")
    (approval_id,) = approval_ids(upstreams.slack)

    await click(bot, upstreams, slack_requests, approval_id, EDIT)
    await upstreams.slack.wait_for(lambda: bool(upstreams.slack.calls("views.open")))
    opened = upstreams.slack.calls("views.open")[0].args
    view = opened["view"] if isinstance(opened["view"], dict) else json.loads(opened["view"])
    inputs = {
        b["block_id"]: b["element"].get("initial_value") for b in view["blocks"] if b["type"] == "input"
    }
    assert inputs == {field_block_id("key"): "OPS-1", field_block_id("body"): "Deployed the fix to staging."}

    bad = await bot.post(*view_submission(slack_requests, view, {field_block_id("body"): ""}))
    assert bad.json()["response_action"] == "errors" and field_block_id("body") in bad.json()["errors"]
    edited = "Deployed to staging; prod rollout on Monday."
    response = await bot.post(*view_submission(slack_requests, view, {field_block_id("body"): edited}))
    assert response.status_code == 200
    await upstreams.slack.wait_for(
        lambda: (upstreams.slack.message(CHANNEL, _ts(view)) or {}).get("edits") == 1
    )
    assert edited in text_of(await shown(bot, upstreams.slack, approval_id)), "the preview shows the edit"
    assert write_requests(upstreams) == []

    await click(bot, upstreams, slack_requests, approval_id, APPROVE)
    await until(upstreams.slack, bot, replied(upstreams.slack, "Posted your edited comment."))

    (write,) = upstreams.jira.writes()
    assert edited in json.dumps(write.body)
    assert "Deployed the fix to staging." not in json.dumps(write.body)


def _ts(view: dict[str, Any]) -> str:
    return str(json.loads(view["private_metadata"])["message_ts"])


async def test_an_asker_not_allowed_to_write_sees_the_proposal_but_cannot_approve(
    start_bot: StartBot, settings: Settings, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    settings.write_users = ["U0RELEASEMGR"]
    bot = await start_bot()
    upstreams.llm.script([[COMMENT], "Understood."])
    await ask(bot, upstreams, slack_requests, "note the deploy on OPS-1")
    (approval_id,) = approval_ids(upstreams.slack)
    assert "WRITE_USERS" in text_of(await shown(bot, upstreams.slack, approval_id)), "said up front"

    await click(bot, upstreams, slack_requests, approval_id, APPROVE)
    await upstreams.slack.wait_for(lambda: bool(ephemeral_to(upstreams.slack, ASKER)))
    await bot.settle()

    (refusal,) = ephemeral_to(upstreams.slack, ASKER)
    assert "not on the list of people who may approve writes" in refusal
    assert write_requests(upstreams) == []
    assert bot.services.desk is not None
    record = await bot.services.desk.approvals.get(approval_id)
    assert record is not None and record.status == "pending"
    # Deny stays possible, so the paused run can still end.
    await click(bot, upstreams, slack_requests, approval_id, DENY)
    await until(upstreams.slack, bot, replied(upstreams.slack, "Understood."))
    assert write_requests(upstreams) == []


async def test_a_write_cut_off_by_a_crash_is_reported_never_repeated(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    upstreams.llm.script([[COMMENT], "I could not confirm the comment; please check OPS-1."])
    await ask(bot, upstreams, slack_requests, "note the deploy on OPS-1")
    (approval_id,) = approval_ids(upstreams.slack)
    assert bot.services.desk is not None
    approvals = bot.services.desk.approvals
    # A process claimed it and died before recording an outcome.
    assert await approvals.claim(approval_id, ASKER)

    await click(bot, upstreams, slack_requests, approval_id, APPROVE)
    await upstreams.slack.wait_for(lambda: bool(ephemeral_to(upstreams.slack, ASKER)))
    assert "already approved and is being made" in ephemeral_to(upstreams.slack, ASKER)[0]
    assert write_requests(upstreams) == [], "a claim still in flight is left alone"

    claimed = await approvals.get(approval_id)
    assert claimed is not None and claimed.decided_at is not None
    later = claimed.decided_at + timedelta(minutes=11)
    approvals.clock = lambda: later
    await click(bot, upstreams, slack_requests, approval_id, APPROVE)
    await until(upstreams.slack, bot, replied(upstreams.slack, "I could not confirm the comment"))

    assert write_requests(upstreams) == [], "never retried: it may have reached Jira"
    record = await approvals.get(approval_id)
    assert record is not None and record.status == "failed"
    assert "may or may not have happened" in text_of(await shown(bot, upstreams.slack, approval_id))
