"""mcp requests

Revision ID: 0009_mcp_requests
Revises: 0008_mcp_tool_lists
Create Date: 2026-12-06 11:00:00.000000

An approval is either an agent run's proposal (origin ``slack``, decided by its asker) or a write
an MCP client asked ``chatops mcp`` for (origin ``mcp``): ``requester`` is that client's name and
``request_key`` the digest of (client, tool, arguments) that a re-sent call joins by. Existing
rows are proposals.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009_mcp_requests"
down_revision: str | None = "0008_mcp_tool_lists"
branch_labels: str | None = None
depends_on: str | None = None

INDEX = "ix_approvals_request_key"


def upgrade() -> None:
    # A database adopted from create_all (bot.store.schema) may have the columns already.
    if "origin" in {column["name"] for column in sa.inspect(op.get_bind()).get_columns("approvals")}:
        return
    with op.batch_alter_table("approvals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("origin", sa.String(length=8), nullable=False, server_default="slack"))
        batch_op.add_column(sa.Column("requester", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("request_key", sa.String(length=64), nullable=True))
        batch_op.create_index(INDEX, ["request_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("approvals", schema=None) as batch_op:
        batch_op.drop_index(INDEX)
        batch_op.drop_column("request_key")
        batch_op.drop_column("requester")
        batch_op.drop_column("origin")
