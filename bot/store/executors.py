"""The fleet's executors and their heartbeats: which processes run durable runs, and when each
last said it was alive.

One row per executor id. A process upserts its row when its engine starts (a restart on the
same id starts afresh: ``left_at`` cleared), moves ``beat_at`` every few seconds while it runs,
and sets ``left_at`` when it shuts down cleanly. A process killed outright just stops beating.
Times are the writing process's clock, in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select

from bot.store.database import Database
from bot.store.models import Executor, utcnow


@dataclass(frozen=True, slots=True)
class ExecutorRecord:
    """An executor as it last reported itself."""

    executor_id: str
    app_name: str
    host: str
    pid: int
    started_at: datetime
    beat_at: datetime
    left_at: datetime | None

    def silent_for(self, now: datetime | None = None) -> float:
        """Seconds since its last beat."""
        return max(0.0, ((now or utcnow()) - self.beat_at).total_seconds())


class Executors(Database):
    """Heartbeats of the processes that execute runs."""

    async def executor_started(self, executor_id: str, *, app_name: str, host: str, pid: int) -> None:
        """Record that ``executor_id`` runs now, in this process (replacing what an earlier one left)."""
        now = utcnow()
        values = {"app_name": app_name, "host": host, "pid": pid, "started_at": now, "beat_at": now}
        dialect = postgresql if self._engine.dialect.name == "postgresql" else sqlite
        statement = (
            dialect.insert(Executor)
            .values(executor_id=executor_id, left_at=None, **values)
            .on_conflict_do_update(index_elements=["executor_id"], set_={**values, "left_at": None})
        )
        async with self.writing() as session:
            await session.exec(statement)

    async def executor_beat(self, executor_id: str) -> bool:
        """Move ``executor_id``'s last beat to now; False when it has no row to move."""
        return await self._set_executor(executor_id, beat_at=utcnow())

    async def executor_left(self, executor_id: str) -> None:
        """Record a clean shutdown of ``executor_id``."""
        await self._set_executor(executor_id, left_at=utcnow())

    async def get_executor(self, executor_id: str) -> ExecutorRecord | None:
        async with self.reading() as session:
            row = await session.get(Executor, executor_id)
        return None if row is None else _record(row)

    async def forget_executor(self, executor_id: str, beat_at: datetime) -> bool:
        """Remove ``executor_id``'s row if it has not beaten since ``beat_at`` (its runs were handed
        over); False when it came back meanwhile."""
        statement = sa.delete(Executor).where(
            col(Executor.executor_id) == executor_id, col(Executor.beat_at) == beat_at
        )
        async with self.writing() as session:
            result = await session.exec(statement)
        return bool(result.rowcount)

    async def _set_executor(self, executor_id: str, **values: datetime) -> bool:
        statement = sa.update(Executor).where(col(Executor.executor_id) == executor_id).values(**values)
        async with self.writing() as session:
            result = await session.exec(statement)
        return bool(result.rowcount)

    async def executors(self) -> list[ExecutorRecord]:
        """Every executor that ever beat, the most recently alive first."""
        query = select(Executor).order_by(col(Executor.beat_at).desc())
        async with self.reading() as session:
            rows = (await session.exec(query)).all()
        return [_record(row) for row in rows]


def _record(row: Executor) -> ExecutorRecord:
    return ExecutorRecord(
        row.executor_id, row.app_name, row.host, row.pid, row.started_at, row.beat_at, row.left_at
    )
