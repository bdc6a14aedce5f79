"""tool call outcome

Revision ID: 0006_tool_call_outcome
Revises: 0005_executors
Create Date: 2026-12-06 09:00:00.000000

A tool call's outcome beside ``ok``: done or failed, and for a proposed write proposed, then
denied, expired, done or failed once the asker has decided. Existing rows keep what ``ok`` said;
a proposal still recorded as "waiting for approval" becomes proposed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006_tool_call_outcome"
down_revision: str | None = "0005_executors"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # A database adopted from create_all (bot.store.schema) may have the column already.
    if "outcome" in {column["name"] for column in sa.inspect(op.get_bind()).get_columns("tool_calls")}:
        return
    with op.batch_alter_table("tool_calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcome", sa.String(length=16), nullable=False, server_default="done"))
    op.execute("UPDATE tool_calls SET outcome = 'failed' WHERE NOT ok")
    op.execute("UPDATE tool_calls SET outcome = 'proposed' WHERE ok AND summary = 'waiting for approval'")


def downgrade() -> None:
    with op.batch_alter_table("tool_calls", schema=None) as batch_op:
        batch_op.drop_column("outcome")
