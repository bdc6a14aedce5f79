"""The channel each user views beside the Messages tab, on each backend."""

from __future__ import annotations

from bot.store.store import Store

TEAM = "T0TEAM"


async def test_the_latest_channel_is_remembered_per_team_and_user(store: Store) -> None:
    assert await store.viewed_channel(TEAM, "U0ASKER") is None
    await store.remember_viewed_channel(TEAM, "U0ASKER", "C0FIRST")
    await store.remember_viewed_channel(TEAM, "U0ASKER", "C0INCIDENT")
    await store.remember_viewed_channel(TEAM, "U0OTHER", "C0OTHER")
    await store.remember_viewed_channel("T0ELSEWHERE", "U0ASKER", "C0ELSEWHERE")

    assert await store.viewed_channel(TEAM, "U0ASKER") == "C0INCIDENT"
    assert await store.viewed_channel(TEAM, "U0OTHER") == "C0OTHER"
    assert await store.viewed_channel("T0ELSEWHERE", "U0ASKER") == "C0ELSEWHERE"


async def test_viewing_something_else_forgets_the_channel(store: Store) -> None:
    await store.remember_viewed_channel(TEAM, "U0ASKER", "C0INCIDENT")
    await store.remember_viewed_channel(TEAM, "U0ASKER", None)
    await store.remember_viewed_channel(TEAM, "U0NEVER", None)  # nothing to forget: no error
    assert await store.viewed_channel(TEAM, "U0ASKER") is None
