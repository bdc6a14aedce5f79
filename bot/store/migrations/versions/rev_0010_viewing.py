"""viewing

Revision ID: 0010_viewing
Revises: 0009_mcp_requests
Create Date: 2026-12-06 12:00:00.000000

The channel each user was last seen viewing beside the app's Messages tab (Slack's
``app_context_changed``), one row per (team, user), so that every process of the fleet knows
where a DM question was asked from.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0010_viewing"
down_revision: str | None = "0009_mcp_requests"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # A database adopted from create_all (bot.store.schema) has the table already.
    if "viewed_channels" in sa.inspect(op.get_bind()).get_table_names():
        return
    op.create_table(
        "viewed_channels",
        sa.Column("team_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("channel_id", sa.String(length=64), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("team_id", "user_id"),
    )


def downgrade() -> None:
    op.drop_table("viewed_channels")
