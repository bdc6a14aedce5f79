"""Feedback on runs: each user's 👍/👎 on an answer, and the reason given with it."""

from __future__ import annotations

from sqlmodel import select

from bot.store.database import Database
from bot.store.models import FEEDBACK_VALUES, Feedback, utcnow
from bot.store.text import clean_text


class RunFeedback(Database):
    """One vote per user and run; the latest click wins."""

    async def record_feedback(self, run_id: str, user_id: str, value: str, reason: str | None = None) -> None:
        """Store ``user_id``'s 👍/👎 ("up"/"down") on a run; a later click replaces an earlier one.
        A click without a reason keeps the reason given before only while the vote stays the same:
        a 👎's reason must not end up explaining a 👍."""
        if value not in FEEDBACK_VALUES:
            raise ValueError(f"unknown feedback value {value!r}")
        async with self.writing() as session:
            query = select(Feedback).where(Feedback.run_id == run_id, Feedback.user_id == user_id)
            row = (await session.exec(query)).first()
            if row is None:
                row = Feedback(run_id=run_id, user_id=user_id, value=value)
            if reason is not None:
                row.reason = clean_text(reason)
            elif row.value != value:
                row.reason = None
            row.value = value
            row.created_at = utcnow()
            session.add(row)

    async def feedback(self, run_id: str) -> dict[str, tuple[str, str | None]]:
        """The feedback on a run, by user: (value, reason)."""
        async with self.reading() as session:
            rows = (await session.exec(select(Feedback).where(Feedback.run_id == run_id))).all()
        return {row.user_id: (row.value, row.reason) for row in rows}
