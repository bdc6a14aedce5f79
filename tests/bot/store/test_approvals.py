"""The approvals repository on SQLite and PostgreSQL: one claim wins, expiry is by the injected clock,
a paused run is handed out once, and two stores (two processes) on one database agree."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.store.approvals import ApprovalRecord, Approvals, Asker, Proposal
from bot.store.store import Store

START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
ASKER = Asker(team_id="T1", user_id="U1", channel="C1", thread_ts="1700000000.000100")


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


async def paused(store: Store, approvals: Approvals, *tools: str) -> list[ApprovalRecord]:
    conversation = await store.open_conversation(ASKER.team_id, ASKER.channel, ASKER.thread_ts)
    run_id = await store.create_run(conversation, trigger="ask", user_id=ASKER.user_id)
    proposals = [
        Proposal(f"call-{i}", tool, {"key": "OPS-1", "body": "hi"}, "preview") for i, tool in enumerate(tools)
    ]
    return await approvals.pause(run_id, conversation, "[history]", ASKER, proposals)


async def test_of_many_concurrent_claims_exactly_one_wins(store: Store, database_url: str) -> None:
    approvals = Approvals(store)
    (record,) = await paused(store, approvals, "jira_add_comment")
    other_process = await Store.open(database_url)
    try:
        others = Approvals(other_process)
        wins = await asyncio.gather(
            *(approvals.claim(record.id, "U1") for _ in range(5)),
            *(others.claim(record.id, "U1") for _ in range(5)),
        )
    finally:
        await other_process.close()

    assert sorted(wins) == [False] * 9 + [True]
    claimed = await approvals.get(record.id)
    assert claimed is not None and claimed.status == "approved" and claimed.decided_by == "U1"
    assert not await approvals.deny(record.id, "U1"), "a claimed approval cannot be denied any more"
    assert await approvals.finish(record.id, ok=True, result="Commented on OPS-1", url="https://x/OPS-1")
    assert not await approvals.finish(record.id, ok=False, result="again"), "the outcome is written once"


async def test_expiry_follows_the_injected_clock(store: Store) -> None:
    clock = Clock()
    approvals = Approvals(store, ttl=timedelta(minutes=15), clock=clock)
    (record,) = await paused(store, approvals, "jira_transition")
    assert record.expires_at == START + timedelta(minutes=15)

    clock.now = START + timedelta(minutes=14, seconds=59)
    assert not await approvals.expire(record.id), "not yet"
    clock.now = START + timedelta(minutes=15)
    assert not await approvals.claim(record.id, "U1"), "at its expiry time it can no longer be approved"
    assert not await approvals.revise(record.id, {"key": "OPS-2"}, "new"), "nor edited"
    assert await approvals.expire(record.id)
    expired = await approvals.get(record.id)
    assert expired is not None and expired.status == "expired" and expired.decided


async def test_a_paused_run_is_resumed_once_and_only_when_every_proposal_is_decided(store: Store) -> None:
    approvals = Approvals(store)
    first, second = await paused(store, approvals, "jira_transition", "jira_add_comment")
    assert first.idempotency_key != second.idempotency_key

    assert await approvals.deny(first.id, "U1")
    assert await approvals.take_resumption(first.run_id, "r1") is None, "one proposal is still pending"
    assert await approvals.claim(second.id, "U1")
    assert await approvals.take_resumption(first.run_id, "r1") is None, "one is still executing"
    assert await approvals.finish(second.id, ok=False, result="Jira refused")

    taken = await asyncio.gather(*(approvals.take_resumption(first.run_id, f"r{i}") for i in range(3)))
    resumptions = [t for t in taken if t is not None]
    assert len(resumptions) == 1
    assert resumptions[0].history == "[history]"
    assert [a.status for a in resumptions[0].approvals] == ["denied", "failed"]
    assert await approvals.resumed(first.run_id)
