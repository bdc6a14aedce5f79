"""Slack rate budgets kept in the database, so every process serving a workspace draws on one.

A bucket is a GCRA cell: one "theoretical arrival time" (``tat``), when the bucket would be
empty again. Taking a token is one atomic upsert that reads and moves ``tat`` in the same
statement, so two processes never both take the last token. A 429's pause is kept on the
bucket named by ``pause_key`` (the method's bucket without a channel) and every reservation
reads it: the first token after a pause comes when it ends, then the steady rate follows, not
a fresh burst. Times are wall-clock seconds, the one clock that all processes share.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select

from bot.store.database import Database
from bot.store.models import SlackBudgetCell

# Float noise is not a wait: a token due within a microsecond is free now.
_EPSILON = 1e-6
_NEVER = float("-inf")


@dataclass(frozen=True, slots=True)
class BudgetReading:
    """A bucket as stored: its ``tat`` and its method's pause end (``-inf`` when there is none)."""

    tat: float = _NEVER
    paused_until: float = _NEVER


class SlackBudgets(Database):
    """Token buckets and 429 pauses of Slack methods, shared through the database."""

    async def reserve_budget(
        self,
        key: str,
        pause_key: str,
        *,
        interval: float,
        tolerance: float,
        now: float,
        only_if_free_with: int | None = None,
    ) -> float | None:
        """Take the next token of bucket ``key``; its new ``tat``. With ``only_if_free_with=n``
        take it only if it is free now with ``n`` more left, else change nothing and return None."""
        statement = _reservation(
            self._engine.dialect.name, key, pause_key, interval, tolerance, now, only_if_free_with
        )
        async with self.writing() as session:
            tat = (await session.exec(statement)).scalar()
        return None if tat is None else float(tat)

    async def read_budget(self, key: str, pause_key: str) -> BudgetReading:
        """Bucket ``key``'s ``tat`` and the pause kept on ``pause_key``."""
        query = select(SlackBudgetCell).where(col(SlackBudgetCell.key).in_((key, pause_key)))
        async with self.reading() as session:
            rows = {row.key: row for row in await session.exec(query)}
        tat = rows[key].tat if key in rows else None
        paused = rows[pause_key].paused_until if pause_key in rows else None
        return BudgetReading(_NEVER if tat is None else tat, _NEVER if paused is None else paused)

    async def pause_budget(self, pause_key: str, until: float) -> None:
        """Pause the method whose pause ``pause_key`` keeps until ``until``; a longer pause stays."""
        table = _table()
        insert = _dialect(self._engine.dialect.name).insert(table).values(key=pause_key, paused_until=until)
        longer = _greatest(self._engine.dialect.name, sa.func.coalesce(table.c.paused_until, until), until)
        statement = insert.on_conflict_do_update(index_elements=["key"], set_={"paused_until": longer})
        async with self.writing() as session:
            await session.exec(statement)


def _reservation(
    dialect: str,
    key: str,
    pause_key: str,
    interval: float,
    tolerance: float,
    now: float,
    only_if_free_with: int | None,
) -> Any:
    """INSERT … SELECT … ON CONFLICT DO UPDATE … RETURNING tat: the GCRA step as one statement.

    The token's interval starts at the latest of ``tat``, now and the pause's end plus the burst
    allowance; the new ``tat`` is one interval later. A conditional reservation adds the same
    test to the insert (a bucket never used) and to the update (a bucket in use).
    """
    table, pause = _table(), _table().alias("pause")
    paused = sa.select(pause.c.paused_until).where(pause.c.key == pause_key).scalar_subquery()
    at = sa.literal(now, sa.Float)
    floor = sa.func.coalesce(paused + tolerance, at)
    fresh = _greatest(dialect, at, floor)
    held = _greatest(dialect, sa.func.coalesce(table.c.tat, at), at, floor)

    def free(start: Any) -> Any:
        if only_if_free_with is None:
            return sa.true()
        return start + only_if_free_with * interval - tolerance - at <= _EPSILON

    proposed = sa.select(sa.literal(key, sa.String), fresh + interval).where(free(fresh))
    return (
        _dialect(dialect)
        .insert(table)
        .from_select(["key", "tat"], proposed)
        .on_conflict_do_update(index_elements=["key"], set_={"tat": held + interval}, where=free(held))
        .returning(table.c.tat)
    )


def _table() -> sa.Table:
    return SlackBudgetCell.__table__  # type: ignore[attr-defined,no-any-return]


def _dialect(name: str) -> Any:
    return postgresql if name == "postgresql" else sqlite


def _greatest(dialect: str, *values: Any) -> Any:
    # PostgreSQL's MAX is an aggregate only; SQLite's MAX of several arguments is GREATEST.
    return sa.func.greatest(*values) if dialect == "postgresql" else sa.func.max(*values)
