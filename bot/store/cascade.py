"""Deleting rows together with every row that references them, whatever tables exist.

Other tables keep arriving in bot/store/models.py (approvals, traces, ...), each pointing at runs or
conversations by foreign key. Walking the foreign keys of the metadata, rather than listing the
tables here, means retention and "forget this thread" keep working, and keep removing the stored
text, when a new table is added.
"""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession


async def delete_cascading(
    session: AsyncSession, table: sa.Table, where: sa.ColumnElement[bool]
) -> Counter[str]:
    """Delete ``table``'s rows matching ``where`` and, first, every row that refers to them.
    Returns the rows deleted per table."""
    deleted: Counter[str] = Counter()
    for child in SQLModel.metadata.sorted_tables:
        if child is table:
            continue  # no table refers to itself today; a self-reference would need ordering
        for foreign_key in child.foreign_keys:
            if foreign_key.column.table is table:
                referenced = sa.select(foreign_key.column).where(where)
                deleted += await delete_cascading(session, child, foreign_key.parent.in_(referenced))
    result = await session.exec(sa.delete(table).where(where))
    deleted[table.name] += max(result.rowcount or 0, 0)
    return deleted
