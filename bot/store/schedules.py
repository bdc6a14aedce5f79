"""The scheduled-digest repository: schedules per channel, and the claim on each due time.

`claim_fire` is how exactly one process posts a due digest: it inserts (schedule, due time)
under a unique constraint *before* anything is posted. Whoever inserts it posts; everyone else
(a second process, the same process after a restart) sees the row and does nothing. A crash
between the claim and the post therefore loses that one post rather than doubling it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot.store.database import Database
from bot.store.models import DigestSchedule, ScheduleFire, utcnow
from bot.store.schedule import ScheduleSpec, spec_of
from bot.store.text import clean_text

MAX_PER_CHANNEL = 10


@dataclass(frozen=True, slots=True)
class ScheduleRecord:
    """A schedule as stored. A snapshot, not a live row."""

    id: int
    team_id: str
    channel_id: str
    created_by: str
    scope: str
    spec: ScheduleSpec
    created_at: datetime


@dataclass(frozen=True, slots=True)
class FireRecord:
    """One due time of a schedule: who claimed it, and how its post went (None until it ends)."""

    schedule_id: int
    due_at: datetime
    claimed_by: str
    outcome: str | None


class TooManySchedules(Exception):
    """The channel already has ``MAX_PER_CHANNEL`` schedules."""


class Schedules:
    """The digest schedules repository, on the bot's database."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def add(
        self, *, team_id: str, channel_id: str, created_by: str, spec: ScheduleSpec, scope: str
    ) -> ScheduleRecord:
        if len(await self.in_channel(team_id, channel_id)) >= MAX_PER_CHANNEL:
            raise TooManySchedules(f"a channel can have at most {MAX_PER_CHANNEL} scheduled digests")
        row = DigestSchedule(
            team_id=team_id,
            channel_id=channel_id,
            created_by=created_by,
            scope=clean_text(scope)[:500],
            days=spec.days_text,
            local_time=f"{spec.at:%H:%M}",
            timezone=spec.timezone,
        )
        async with self._database.writing() as session:
            session.add(row)
            await session.flush()
        return _record(row)

    async def in_channel(self, team_id: str, channel_id: str) -> list[ScheduleRecord]:
        query = (
            select(DigestSchedule)
            .where(DigestSchedule.team_id == team_id, DigestSchedule.channel_id == channel_id)
            .where(col(DigestSchedule.removed_at).is_(None))
            .order_by(col(DigestSchedule.id))
        )
        async with self._database.reading() as session:
            rows = (await session.exec(query)).all()
        return [_record(row) for row in rows]

    async def active(self) -> list[ScheduleRecord]:
        query = (
            select(DigestSchedule)
            .where(col(DigestSchedule.removed_at).is_(None))
            .order_by(col(DigestSchedule.id))
        )
        async with self._database.reading() as session:
            rows = (await session.exec(query)).all()
        return [_record(row) for row in rows]

    async def get(self, schedule_id: int) -> ScheduleRecord | None:
        async with self._database.reading() as session:
            row = await session.get(DigestSchedule, schedule_id)
        return None if row is None or row.removed_at is not None else _record(row)

    async def remove(self, team_id: str, channel_id: str, schedule_id: int) -> bool:
        """Remove a channel's schedule; False when it is not one of this channel's (or already gone)."""
        statement = (
            sa.update(DigestSchedule)
            .where(col(DigestSchedule.id) == schedule_id)
            .where(col(DigestSchedule.team_id) == team_id, col(DigestSchedule.channel_id) == channel_id)
            .where(col(DigestSchedule.removed_at).is_(None))
            .values(removed_at=utcnow())
        )
        async with self._database.writing() as session:
            result = await session.exec(statement)
            return bool(result.rowcount)

    async def claim_fire(self, schedule_id: int, due_at: datetime, claimed_by: str) -> bool:
        """True for the one caller, ever, that gets to post this schedule's digest due at ``due_at``."""
        try:
            async with self._database.writing() as session:
                session.add(ScheduleFire(schedule_id=schedule_id, due_at=due_at, claimed_by=claimed_by))
        except IntegrityError:
            return False
        return True

    async def finish_fire(self, schedule_id: int, due_at: datetime, outcome: str) -> None:
        statement = (
            sa.update(ScheduleFire)
            .where(col(ScheduleFire.schedule_id) == schedule_id, col(ScheduleFire.due_at) == due_at)
            .values(finished_at=utcnow(), outcome=clean_text(outcome)[:2000])
        )
        async with self._database.writing() as session:
            await session.exec(statement)

    async def fires(self, schedule_id: int) -> list[FireRecord]:
        query = (
            select(ScheduleFire)
            .where(ScheduleFire.schedule_id == schedule_id)
            .order_by(col(ScheduleFire.due_at))
        )
        async with self._database.reading() as session:
            rows = (await session.exec(query)).all()
        return [FireRecord(row.schedule_id, row.due_at, row.claimed_by, row.outcome) for row in rows]


def _record(row: DigestSchedule) -> ScheduleRecord:
    assert row.id is not None
    return ScheduleRecord(
        id=row.id,
        team_id=row.team_id,
        channel_id=row.channel_id,
        created_by=row.created_by,
        scope=row.scope,
        spec=spec_of(row.days, row.local_time, row.timezone),
        created_at=row.created_at,
    )
