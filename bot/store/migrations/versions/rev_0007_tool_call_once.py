"""tool call once

Revision ID: 0007_tool_call_once
Revises: 0006_tool_call_outcome
Create Date: 2026-12-06 10:00:00.000000

A run's tool call is one row: a unique index on (run_id, call_id), so recording a call is one
INSERT … ON CONFLICT DO NOTHING instead of a lock, a check and an insert. The code recorded each
call once already, so existing rows fit it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007_tool_call_once"
down_revision: str | None = "0006_tool_call_outcome"
branch_labels: str | None = None
depends_on: str | None = None

INDEX = "uq_tool_calls_run_call"


def upgrade() -> None:
    # A database adopted from create_all (bot.store.schema) may have the index already.
    if INDEX in {index["name"] for index in sa.inspect(op.get_bind()).get_indexes("tool_calls")}:
        return
    op.create_index(INDEX, "tool_calls", ["run_id", "call_id"], unique=True)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="tool_calls")
