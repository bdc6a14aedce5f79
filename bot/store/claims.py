"""Delivery keys taken once: Slack retries an event, two processes receive the same command, and
exactly one of them handles it.

A key is a row under a primary key, so the claim holds across restarts and processes; keys
older than the retention age are pruned with everything else (see ``Retention.prune``). The row
is inserted with ``ON CONFLICT DO NOTHING``: a key taken before is an answer, not an error, so a
duplicate costs one statement and no rollback.
"""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite

from bot.store.database import Database
from bot.store.models import SeenEvent, utcnow


class Claims(Database):
    """Seen event ids and other delivery keys."""

    async def claim(self, key: str) -> bool:
        """Take a delivery key once: True the first time ever (across restarts and processes), then False."""
        dialect = postgresql if self._engine.dialect.name == "postgresql" else sqlite
        statement = (
            dialect.insert(SeenEvent)
            .values(key=key, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(SeenEvent.key)
        )
        async with self.writing() as session:
            taken = (await session.exec(statement)).first()
        return taken is not None
