"""On PostgreSQL, two processes that find a paused run's last proposal decided at the same moment
both try to resume it: whatever the interleaving, exactly one gets its history."""

from __future__ import annotations

import asyncio

import psycopg
from sqlalchemy.engine import make_url

from bot.store.approvals import Approvals, Asker, Proposal
from bot.store.store import Store

ASKER = Asker(team_id="T1", user_id="U1", channel="C1", thread_ts="1700000000.000100")


async def test_two_processes_that_reach_the_paused_run_together_resume_it_once(
    migrated_postgres_url: str,
) -> None:
    stores = [await Store.open(migrated_postgres_url) for _ in range(2)]
    try:
        approvals = [Approvals(store) for store in stores]
        run_id = await _paused_and_decided(stores[0], approvals[0])
        plain_url = make_url(migrated_postgres_url).set(drivername="postgresql").render_as_string(False)
        async with await psycopg.AsyncConnection.connect(plain_url) as holder:
            # Holding the paused run's row lets both takers get as far as they can before either
            # commits: the interleaving in which reading it unresumed is not enough.
            await holder.execute("SELECT 1 FROM paused_runs WHERE run_id = %s FOR UPDATE", (run_id,))
            takers = [
                asyncio.create_task(each.take_resumption(run_id, f"run-{i}"))
                for i, each in enumerate(approvals)
            ]
            await _until_waiting_on_locks(plain_url, 2)
        taken = await asyncio.gather(*takers)
    finally:
        for store in stores:
            await store.close()

    assert len([resumption for resumption in taken if resumption is not None]) == 1


async def _paused_and_decided(store: Store, approvals: Approvals) -> str:
    conversation = await store.open_conversation(ASKER.team_id, ASKER.channel, ASKER.thread_ts)
    run_id = await store.create_run(conversation, trigger="ask", user_id=ASKER.user_id)
    proposal = Proposal("call-0", "jira_add_comment", {"key": "OPS-1", "body": "hi"}, "preview")
    (record,) = await approvals.pause(run_id, conversation, "[history]", ASKER, [proposal])
    assert await approvals.deny(record.id, ASKER.user_id)
    return run_id


async def _until_waiting_on_locks(url: str, count: int) -> None:
    """Until ``count`` sessions wait on a lock (asked afresh each time: within one transaction
    PostgreSQL keeps showing the same snapshot of pg_stat_activity)."""
    async with asyncio.timeout(60):
        while True:
            async with await psycopg.AsyncConnection.connect(url, autocommit=True) as probe:
                cursor = await probe.execute(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
                row = await cursor.fetchone()
            if row is not None and row[0] >= count:
                return
            await asyncio.sleep(0.05)
