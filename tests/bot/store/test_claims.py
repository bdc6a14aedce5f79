"""Delivery keys on SQLite and PostgreSQL: one winner per key, across restarts and processes."""

from __future__ import annotations

import asyncio

from bot.store.store import Store


async def test_concurrent_claims_of_one_key_have_one_winner(store: Store) -> None:
    results = await asyncio.gather(*(store.claim("event:Ev123") for _ in range(50)))
    assert results.count(True) == 1
    assert results.count(False) == 49


async def test_claims_of_different_keys_all_win(store: Store) -> None:
    results = await asyncio.gather(*(store.claim(f"event:Ev{i}") for i in range(20)))
    assert all(results)


async def test_claim_survives_restart(database_url: str) -> None:
    first = await Store.open(database_url)
    assert await first.claim("event:Ev1") is True
    await first.close()

    second = await Store.open(database_url)
    try:
        assert await second.claim("event:Ev1") is False
        assert await second.claim("event:Ev2") is True
    finally:
        await second.close()


async def test_claim_is_shared_between_two_stores_on_one_file(database_url: str) -> None:
    one, two = await Store.open(database_url), await Store.open(database_url)
    try:
        results = await asyncio.gather(*(s.claim("event:shared") for s in (one, two) for _ in range(10)))
    finally:
        await one.close()
        await two.close()
    assert results.count(True) == 1
