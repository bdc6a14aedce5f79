"""Slack budgets in the database, on SQLite and PostgreSQL: GCRA buckets whose every token is
taken by one atomic statement, and pauses that hold a method's buckets, across processes."""

from __future__ import annotations

import asyncio
import math

from bot.store.store import Store

# A method's pause is kept on its bucket without a channel.
KEY = PAUSE_KEY = "T1/chat.update/"
NOW = 1_000.0
# Burst 3 at one token a second: the bucket may run two intervals ahead of now.
RATE = {"interval": 1.0, "tolerance": 2.0}


async def reserve(
    store: Store,
    key: str = KEY,
    *,
    pause_key: str = PAUSE_KEY,
    now: float = NOW,
    free_with: int | None = None,
) -> float | None:
    return await store.reserve_budget(key, pause_key, **RATE, now=now, only_if_free_with=free_with)


async def test_each_token_moves_the_bucket_one_interval(store: Store) -> None:
    assert [await reserve(store) for _ in range(4)] == [1_001.0, 1_002.0, 1_003.0, 1_004.0]
    assert await reserve(store, now=1_010.0) == 1_011.0  # an idle bucket starts from now


async def test_an_unknown_bucket_reads_as_never_used(store: Store) -> None:
    reading = await store.read_budget("T9/chat.update/", "T9/chat.update/")
    assert reading.tat == -math.inf and reading.paused_until == -math.inf


async def test_a_conditional_token_is_taken_only_while_the_burst_allows(store: Store) -> None:
    assert [await reserve(store, free_with=0) for _ in range(4)] == [1_001.0, 1_002.0, 1_003.0, None]
    assert (await store.read_budget(KEY, PAUSE_KEY)).tat == 1_003.0  # the refusal changed nothing
    assert await reserve(store, now=1_001.0, free_with=0) == 1_004.0


async def test_a_conditional_token_leaves_room_for_the_reserve(store: Store) -> None:
    assert await reserve(store, free_with=3) is None  # a fresh bucket holds 3 tokens, not 4
    assert (await store.read_budget(KEY, PAUSE_KEY)).tat == -math.inf
    assert await reserve(store, free_with=2) == 1_001.0
    assert await reserve(store, free_with=2) is None


async def test_a_pause_holds_every_bucket_of_the_method_then_the_steady_rate_follows(store: Store) -> None:
    await store.pause_budget(PAUSE_KEY, NOW + 30)
    await store.pause_budget(PAUSE_KEY, NOW + 5)  # a shorter pause does not cut the longer one
    assert (await store.read_budget(KEY, PAUSE_KEY)).paused_until == NOW + 30
    # Its first token is due when the pause ends (tat - interval - tolerance), the next a second later.
    assert await reserve(store) == NOW + 33
    assert await reserve(store, "T1/chat.update/C1") == NOW + 33
    assert await reserve(store, now=NOW + 30, free_with=0) is None
    other = "T1/chat.appendStream/"
    assert await reserve(store, other, pause_key=other) == NOW + 1  # other methods go on


async def test_concurrent_tokens_are_each_taken_once(store: Store) -> None:
    tats = await asyncio.gather(*(reserve(store) for _ in range(20)))
    assert sorted(tat or 0 for tat in tats) == [NOW + n for n in range(1, 21)]


async def test_two_processes_on_one_database_draw_on_one_bucket(database_url: str) -> None:
    one, two = await Store.open(database_url), await Store.open(database_url)
    try:
        tats = await asyncio.gather(*(reserve(store, free_with=0) for store in (one, two) for _ in range(5)))
        await one.pause_budget(PAUSE_KEY, NOW + 60)
        paused = (await two.read_budget(KEY, PAUSE_KEY)).paused_until
    finally:
        await one.close()
        await two.close()
    assert sorted(tat for tat in tats if tat is not None) == [1_001.0, 1_002.0, 1_003.0]
    assert tats.count(None) == 7
    assert paused == NOW + 60


async def test_reservations_survive_a_restart(database_url: str) -> None:
    first = await Store.open(database_url)
    await reserve(first)
    await first.close()
    second = await Store.open(database_url)
    try:
        assert (await second.read_budget(KEY, PAUSE_KEY)).tat == 1_001.0
    finally:
        await second.close()
