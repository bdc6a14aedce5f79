"""Forgetting what is stored: one thread on request, and everything past the retention age.

Deletes walk the foreign keys (``bot.store.cascade``), so what refers to a deleted run or
conversation (tool calls, approvals, feedback, traces, tables yet to come) goes with it.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import sqlalchemy as sa

from bot.store.cascade import delete_cascading
from bot.store.conversations import conversation_id
from bot.store.database import Database
from bot.store.models import FINISHED_STATUSES, Conversation, Message, Run, SeenEvent


class Retention(Database):
    """Deleting a thread's data, and pruning old data."""

    async def forget_thread(self, team_id: str, channel_id: str, thread_ts: str) -> bool:
        """Delete the thread's conversation and everything stored under it (messages, runs, tool
        calls and any table that refers to them). False when nothing was stored for it."""
        conversation = Conversation.__table__  # type: ignore[attr-defined]
        async with self.writing() as session:
            found = await conversation_id(session, team_id, channel_id, thread_ts)
            if found is None:
                return False
            await delete_cascading(session, conversation, conversation.c.id == found)
        return True

    async def prune(self, before: datetime) -> Counter[str]:
        """Delete what is older than ``before``: messages, finished runs (with what refers to
        them), delivery keys, and conversations left with neither messages nor runs.
        Returns the rows deleted per table."""
        messages, runs = Message.__table__, Run.__table__  # type: ignore[attr-defined]
        conversations, seen = Conversation.__table__, SeenEvent.__table__  # type: ignore[attr-defined]
        deleted: Counter[str] = Counter()
        async with self.writing() as session:
            deleted += await delete_cascading(session, messages, messages.c.created_at < before)
            old_runs = sa.and_(runs.c.created_at < before, runs.c.status.in_(FINISHED_STATUSES))
            deleted += await delete_cascading(session, runs, old_runs)
            empty = sa.and_(
                conversations.c.created_at < before,
                ~sa.exists().where(messages.c.conversation_id == conversations.c.id),
                ~sa.exists().where(runs.c.conversation_id == conversations.c.id),
            )
            deleted += await delete_cascading(session, conversations, empty)
            deleted += await delete_cascading(session, seen, seen.c.created_at < before)
        return +deleted
