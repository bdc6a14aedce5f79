"""Feedback on runs, on SQLite and PostgreSQL: one vote per user, the latest click wins."""

from __future__ import annotations

import pytest

from bot.store.store import Store


async def test_feedback_latest_click_wins_and_a_changed_vote_drops_the_old_reason(
    store: Store, conversation: int
) -> None:
    run_id = await store.create_run(conversation, trigger="ask", user_id="U1")
    await store.record_feedback(run_id, "U1", "down")
    await store.record_feedback(run_id, "U1", "down", "missed the PR")
    await store.record_feedback(run_id, "U1", "down")  # 👎 again, dialog closed: the reason stays
    assert await store.feedback(run_id) == {"U1": ("down", "missed the PR")}

    await store.record_feedback(run_id, "U1", "up")
    await store.record_feedback(run_id, "U2", "down", "wrong sprint")
    assert await store.feedback(run_id) == {"U1": ("up", None), "U2": ("down", "wrong sprint")}
    with pytest.raises(ValueError, match="unknown feedback value"):
        await store.record_feedback(run_id, "U1", "meh")
