"""mcp tool lists

Revision ID: 0008_mcp_tool_lists
Revises: 0007_tool_call_once
Create Date: 2026-12-06 08:00:00.000000

The tool list each MCP server last showed (names and a fingerprint of names, input schemas and
annotations), so a list that changes between connections is noticed by the agent and by
``chatops doctor``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008_mcp_tool_lists"
down_revision: str | None = "0007_tool_call_once"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # A database adopted from create_all (bot.store.schema) has the table already.
    if "mcp_tool_lists" in sa.inspect(op.get_bind()).get_table_names():
        return
    op.create_table(
        "mcp_tool_lists",
        sa.Column("server", sa.String(length=128), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("names", sa.Text(), nullable=False),
        sa.Column("previous_names", sa.Text(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("server"),
    )


def downgrade() -> None:
    op.drop_table("mcp_tool_lists")
