"""Alembic environment: runs on the connection ``bot.store.schema`` hands over, inside its transaction.

``bot.store.schema`` opens the transaction and takes the start-up lock (BEGIN IMMEDIATE on SQLite,
an advisory lock on PostgreSQL) before calling alembic, so two processes that start together
migrate one after the other and the second finds nothing to do.
"""

from __future__ import annotations

from typing import Any, Literal

import sqlalchemy as sa
from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

import bot.store.models  # noqa: F401  # registers every table on SQLModel.metadata
from bot.store.models import UTCDateTime


def _render_item(kind: str, item: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    # Revisions must not import live model code, which changes after they are written.
    if kind == "type" and isinstance(item, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if kind == "type" and isinstance(item, AutoString):
        return "sa.String()" if item.length is None else f"sa.String(length={item.length})"
    return False


def _run(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        render_item=_render_item,
        compare_type=False,  # UTCDateTime and AutoString reflect as their base types
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `chatops migrate` (bot.store.schema): it supplies the connection")
_run(connection)
