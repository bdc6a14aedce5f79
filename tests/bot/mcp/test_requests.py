"""Which approval a re-sent MCP write joins: the request key, and the store's joining rule."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.mcp import request_key
from bot.store import ApprovalRecord, Approvals, Asker, Proposal, Store, utcnow

ASKER = Asker("T0SIMTEAM", "", "C0APPROVALS", "")
KEY = request_key("claude-code", "jira_add_comment", {"key": "OPS-1", "body": "hi"})


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now


def test_the_key_depends_on_client_tool_and_arguments_not_their_order() -> None:
    assert request_key("claude-code", "jira_add_comment", {"body": "hi", "key": "OPS-1"}) == KEY
    assert request_key("cursor", "jira_add_comment", {"key": "OPS-1", "body": "hi"}) != KEY
    assert request_key("claude-code", "github_comment", {"key": "OPS-1", "body": "hi"}) != KEY
    assert request_key("claude-code", "jira_add_comment", {"key": "OPS-1", "body": "hi!"}) != KEY


async def _ask(store: Store, approvals: Approvals) -> tuple[ApprovalRecord, bool]:
    conversation = await store.open_conversation("mcp", "claude-code", "")
    run_id = await store.create_run(conversation, trigger="mcp", user_id="claude-code")
    proposal = Proposal(f"mcp-{run_id}", "jira_add_comment", {"key": "OPS-1", "body": "hi"}, "Comment")
    return await approvals.request(run_id, conversation, ASKER, proposal, requester="claude-code", key=KEY)


async def test_a_pending_request_is_joined_until_it_expires(store: Store) -> None:
    clock = Clock()
    approvals = Approvals(store, ttl=timedelta(minutes=15), clock=clock)

    first, filed = await _ask(store, approvals)
    joined, filed_again = await _ask(store, approvals)
    clock.now += timedelta(minutes=16)
    after_expiry, filed_after_expiry = await _ask(store, approvals)

    assert (filed, filed_again, filed_after_expiry) == (True, False, True)
    assert joined.id == first.id and after_expiry.id != first.id
    assert first.origin == "mcp" and first.requester == "claude-code" and first.request_key == KEY


async def test_a_decided_request_is_joined_for_its_ttl_then_asked_anew(store: Store) -> None:
    clock = Clock()
    approvals = Approvals(store, ttl=timedelta(minutes=15), clock=clock)

    first, _ = await _ask(store, approvals)
    assert await approvals.claim(first.id, "U0APPROVER")
    assert await approvals.finish(first.id, ok=True, result="Commented on OPS-1")
    clock.now += timedelta(minutes=10)
    soon, filed_soon = await _ask(store, approvals)
    clock.now += timedelta(minutes=10)
    later, filed_later = await _ask(store, approvals)

    assert (soon.id, soon.status, filed_soon) == (first.id, "executed", False)
    assert later.id != first.id and filed_later


async def test_a_withdrawn_request_is_not_joined(store: Store) -> None:
    approvals = Approvals(store)

    first, _ = await _ask(store, approvals)
    assert await approvals.withdraw(first.id, "the card could not be posted")
    again, filed = await _ask(store, approvals)

    assert filed and again.id != first.id
    withdrawn = await approvals.get(first.id)
    assert withdrawn is not None and withdrawn.status == "denied" and withdrawn.request_key is None
