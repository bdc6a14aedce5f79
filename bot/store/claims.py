"""Delivery keys taken once: Slack retries an event, two processes receive the same command, and
exactly one of them handles it.

A key is a row under a primary key, so the claim holds across restarts and processes; keys
older than the retention age are pruned with everything else (see ``Retention.prune``).
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from bot.store.database import Database
from bot.store.models import SeenEvent


class Claims(Database):
    """Seen event ids and other delivery keys."""

    async def claim(self, key: str) -> bool:
        """Take a delivery key once: True the first time ever (across restarts and processes), then False."""
        try:
            async with self.writing() as session:
                session.add(SeenEvent(key=key))
        except IntegrityError:
            return False
        return True
