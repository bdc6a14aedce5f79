"""digest schedules and their fires

Revision ID: 0002_digest_schedules
Revises: 0001_initial
Create Date: 2026-11-24 12:00:00

Written by hand: each table is created only where it is missing, so a baseline regenerated to
include these tables and this revision can both apply.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002_digest_schedules"
down_revision: str | None = "0001_initial"
branch_labels: str | None = None
depends_on: str | None = None


def _exists(table: str) -> bool:
    return table in sa.inspect(op.get_bind()).get_table_names()


def upgrade() -> None:
    if not _exists("digest_schedules"):
        op.create_table(
            "digest_schedules",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("team_id", sa.String(length=64), nullable=False),
            sa.Column("channel_id", sa.String(length=64), nullable=False),
            sa.Column("created_by", sa.String(length=64), nullable=False),
            sa.Column("scope", sa.String(length=500), nullable=False),
            sa.Column("days", sa.String(length=32), nullable=False),
            sa.Column("local_time", sa.String(length=5), nullable=False),
            sa.Column("timezone", sa.String(length=64), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
            sa.PrimaryKeyConstraint("id"),
        )
        op.create_index("ix_digest_schedules_channel_id", "digest_schedules", ["channel_id"])
    if not _exists("schedule_fires"):
        op.create_table(
            "schedule_fires",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("schedule_id", sa.Integer(), nullable=False),
            sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("claimed_by", sa.String(length=64), nullable=False),
            sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("outcome", sa.Text(), nullable=True),
            sa.ForeignKeyConstraint(["schedule_id"], ["digest_schedules.id"]),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("schedule_id", "due_at", name="uq_schedule_fires_due"),
        )
        op.create_index("ix_schedule_fires_schedule_id", "schedule_fires", ["schedule_id"])


def downgrade() -> None:
    op.drop_index("ix_schedule_fires_schedule_id", table_name="schedule_fires")
    op.drop_table("schedule_fires")
    op.drop_index("ix_digest_schedules_channel_id", table_name="digest_schedules")
    op.drop_table("digest_schedules")
