"""The bot's tables: conversations, their messages, agent runs, tool calls and seen Slack events.

Nothing here is SQLite-specific, so the same models run on PostgreSQL. Timestamps are
timezone-aware UTC on the way in and on the way out, whatever the backend stores.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel

MESSAGE_ROLES = ("user", "assistant")
RUN_STATUSES = ("queued", "running", "succeeded", "failed", "interrupted")
FINISHED_STATUSES = ("succeeded", "failed", "interrupted")
# Checked by the store rather than the schema, so a new entry point needs no migration.
RUN_TRIGGERS = ("ask", "mention", "followup", "dm", "console", "approval", "workflow", "mcp")


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_run_id() -> str:
    """32 hex characters that sort by creation time (nanoseconds, then random): the durable queue
    starts one conversation's runs in id order when they were enqueued in the same instant."""
    return f"{time.time_ns():016x}{uuid.uuid4().hex[:16]}"


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A DateTime that only accepts aware values and always returns them in UTC.

    SQLite drops the offset, so without this a value read back would be naive and compare
    unequal (or raise) against the aware value that was written.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; store timezone-aware UTC values")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _timestamp(*, nullable: bool = False) -> Any:
    if nullable:
        return Field(default=None, sa_type=UTCDateTime, nullable=True)
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def _one_of(table: str, column: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    allowed = ", ".join(f"'{value}'" for value in values)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=f"ck_{table}_{column}")


class Conversation(SQLModel, table=True):
    """A Slack thread (or console thread) the bot talks in, keyed by its root message."""

    __tablename__ = "conversations"
    __table_args__ = (
        sa.UniqueConstraint("team_id", "channel_id", "thread_ts", name="uq_conversations_thread"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=64)
    channel_id: str = Field(max_length=64)
    thread_ts: str = Field(max_length=64)
    created_at: datetime = _timestamp()


class Message(SQLModel, table=True):
    """One turn of a conversation; ``id`` order is arrival order."""

    __tablename__ = "messages"
    __table_args__ = (_one_of("messages", "role", MESSAGE_ROLES),)

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversations.id", index=True)
    role: str = Field(max_length=16)
    text: str = Field(sa_type=sa.Text)
    run_id: str | None = Field(default=None, foreign_key="runs.id", max_length=32)
    created_at: datetime = _timestamp()


class Run(SQLModel, table=True):
    """One execution of the agent for one question, with its outcome and usage."""

    __tablename__ = "runs"
    __table_args__ = (_one_of("runs", "status", RUN_STATUSES),)

    id: str = Field(default_factory=new_run_id, primary_key=True, max_length=32)
    conversation_id: int = Field(foreign_key="conversations.id", index=True)
    trigger: str = Field(max_length=16)
    user_id: str = Field(max_length=64)
    status: str = Field(default="queued", max_length=16, index=True)
    reply_ts: str | None = Field(default=None, max_length=64)
    error: str | None = Field(default=None, sa_type=sa.Text)
    input_tokens: int = 0
    output_tokens: int = 0
    requests: int = 0
    tool_calls: int = 0
    created_at: datetime = _timestamp()
    started_at: datetime | None = _timestamp(nullable=True)
    finished_at: datetime | None = _timestamp(nullable=True)


class ToolCall(SQLModel, table=True):
    """A tool the agent called during a run; ``arguments`` is the JSON the model sent."""

    __tablename__ = "tool_calls"
    # A call is recorded once per run: a resumed run's replay of it is a conflict, not a second row.
    __table_args__ = (sa.Index("uq_tool_calls_run_call", "run_id", "call_id", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(foreign_key="runs.id", index=True, max_length=32)
    call_id: str = Field(max_length=128)
    name: str = Field(max_length=128)
    arguments: str = Field(default="{}", sa_type=sa.Text)
    ok: bool
    # done | failed, and for a proposed write: proposed, then denied | expired | done | failed.
    outcome: str = Field(default="done", max_length=16)
    summary: str = Field(default="", sa_type=sa.Text)
    duration_ms: int = 0
    created_at: datetime = _timestamp()


class SeenEvent(SQLModel, table=True):
    """A delivery key (Slack event_id, trigger_id, ...) already taken; makes retries no-ops."""

    __tablename__ = "seen_events"

    key: str = Field(primary_key=True, max_length=255)
    created_at: datetime = _timestamp()


APPROVAL_STATUSES = ("pending", "approved", "denied", "expired", "executed", "failed")
DECIDED_APPROVAL_STATUSES = ("denied", "expired", "executed", "failed")


class PausedRun(SQLModel, table=True):
    """An agent run stopped at proposed writes: its pydantic-ai message history (JSON), until resumed.

    ``resumed_by`` is the run that continued it; set once, so the agent resumes exactly once.
    """

    __tablename__ = "paused_runs"

    run_id: str = Field(foreign_key="runs.id", primary_key=True, max_length=32)
    conversation_id: int = Field(foreign_key="conversations.id", index=True)
    history: str = Field(sa_type=sa.Text)
    resumed_by: str | None = Field(default=None, max_length=32)
    created_at: datetime = _timestamp()


class Approval(SQLModel, table=True):
    """One proposed write waiting for (or past) the asker's decision.

    ``status`` only moves forward: pending → approved → executed | failed, or pending → denied |
    expired. The pending → approved step is a conditional UPDATE, so one click wins.
    """

    __tablename__ = "approvals"
    __table_args__ = (_one_of("approvals", "status", APPROVAL_STATUSES),)

    id: str = Field(default_factory=new_run_id, primary_key=True, max_length=32)
    run_id: str = Field(foreign_key="paused_runs.run_id", index=True, max_length=32)
    call_id: str = Field(max_length=128)  # the model's tool call id, to answer it on resume
    team_id: str = Field(max_length=64)
    user_id: str = Field(max_length=64)
    channel: str = Field(max_length=64)
    thread_ts: str = Field(max_length=64)
    message_ts: str | None = Field(default=None, max_length=64)  # the preview message, once posted
    tool: str = Field(max_length=128)
    args: str = Field(sa_type=sa.Text)  # JSON, as validated by the tool's argument model
    preview: str = Field(sa_type=sa.Text)
    status: str = Field(default="pending", max_length=16, index=True)
    idempotency_key: str = Field(default_factory=new_run_id, max_length=64, unique=True)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    decided_by: str | None = Field(default=None, max_length=64)
    decided_at: datetime | None = _timestamp(nullable=True)
    result: str | None = Field(default=None, sa_type=sa.Text)  # what happened, for people and the agent
    result_url: str | None = Field(default=None, max_length=2048)
    created_at: datetime = _timestamp()
    # slack: an agent run's proposal, decided by its asker; mcp: a write an MCP client asked for
    # (`chatops mcp`), decided by whoever WRITE_USERS allows in the approval channel.
    origin: str = Field(default="slack", max_length=8)
    requester: str | None = Field(default=None, max_length=64)  # the MCP client's name
    # sha256 of (client, tool, arguments): a re-sent call joins the approval instead of filing one
    request_key: str | None = Field(default=None, max_length=64, index=True)


class LlmCall(SQLModel, table=True):
    """One request a run made to the LLM: which model, the tokens each way, and how long it took.

    A run's trace is its tool calls and these, in time order; usage reports price these per model.
    """

    __tablename__ = "llm_calls"

    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(foreign_key="runs.id", index=True, max_length=32)
    model: str = Field(max_length=128)
    input_tokens: int = 0
    output_tokens: int = 0
    duration_ms: int = 0
    created_at: datetime = _timestamp()


class DigestSchedule(SQLModel, table=True):
    """A standup digest posted to a channel on given weekdays at a local time (``/standup schedule``).

    ``scope`` is what ``/standup`` was given (projects, repositories, teams); ``days`` is a
    comma-separated list of ``mon`` … ``sun``. Removing a schedule sets ``removed_at``.
    """

    __tablename__ = "digest_schedules"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=64)
    channel_id: str = Field(max_length=64, index=True)
    created_by: str = Field(max_length=64)
    scope: str = Field(default="", max_length=500)
    days: str = Field(max_length=32)
    local_time: str = Field(max_length=5)  # HH:MM
    timezone: str = Field(max_length=64)  # an IANA name, e.g. Europe/Berlin
    created_at: datetime = _timestamp()
    removed_at: datetime | None = _timestamp(nullable=True)


class ScheduleFire(SQLModel, table=True):
    """One due time of a schedule, claimed by the process that posts it, before it posts.

    The unique (schedule_id, due_at) pair is the claim: of any number of schedulers (restarts,
    several processes on one database) exactly one inserts it, and only that one posts.
    """

    __tablename__ = "schedule_fires"
    __table_args__ = (sa.UniqueConstraint("schedule_id", "due_at", name="uq_schedule_fires_due"),)

    id: int | None = Field(default=None, primary_key=True)
    schedule_id: int = Field(foreign_key="digest_schedules.id", index=True)
    due_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    claimed_by: str = Field(max_length=64)
    claimed_at: datetime = _timestamp()
    finished_at: datetime | None = _timestamp(nullable=True)
    outcome: str | None = Field(default=None, sa_type=sa.Text)  # "posted" or what went wrong


FEEDBACK_VALUES = ("up", "down")


class Feedback(SQLModel, table=True):
    """A person's 👍/👎 on one answer; one row per run and person, the latest click wins."""

    __tablename__ = "feedback"
    __table_args__ = (
        sa.UniqueConstraint("run_id", "user_id", name="uq_feedback_run_user"),
        _one_of("feedback", "value", FEEDBACK_VALUES),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(foreign_key="runs.id", index=True, max_length=32)
    user_id: str = Field(max_length=64)
    value: str = Field(max_length=8)
    reason: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = _timestamp()


class SlackBudgetCell(SQLModel, table=True):
    """One Slack rate bucket, shared by every process serving the workspace.

    ``key`` names the bucket (workspace, method and, for per-channel limits, channel). ``tat`` is
    the GCRA "theoretical arrival time": when the bucket would be empty again. ``paused_until``
    is the end of a 429's ``Retry-After`` for the method (kept on the bucket without a channel).
    Both are wall-clock seconds since the epoch, the one clock all processes share.
    """

    __tablename__ = "slack_budget"

    key: str = Field(primary_key=True, max_length=255)
    tat: float | None = None
    paused_until: float | None = None


class Executor(SQLModel, table=True):
    """A process of the fleet, as it last said it was alive (its heartbeat, ``bot.runs.executors``).

    DBOS records which executor runs a workflow, not whether that executor still lives: an
    operator's ``chatops runs recover`` reads ``beat_at`` here before it hands a silent
    executor's runs to the others. ``left_at`` is set by a clean shutdown, cleared by a restart.
    """

    __tablename__ = "executors"

    executor_id: str = Field(primary_key=True, max_length=100)
    app_name: str = Field(max_length=64)
    host: str = Field(max_length=255)
    pid: int
    started_at: datetime = _timestamp()
    beat_at: datetime = _timestamp()
    left_at: datetime | None = _timestamp(nullable=True)


class MCPToolList(SQLModel, table=True):
    """The tool list an MCP server of ``MCP_CONFIG`` last showed, to notice when it changes.

    ``fingerprint`` is the sha256 of the sorted tools, each with its description, input schema
    and annotations; ``names`` maps each tool name to its own digest (JSON), and
    ``previous_names`` is the list before the last change (null until one). ``changed_at`` is
    that change's time; ``seen_at`` the last time any process listed the server's tools.
    """

    __tablename__ = "mcp_tool_lists"

    server: str = Field(primary_key=True, max_length=128)
    fingerprint: str = Field(max_length=64)
    names: str = Field(sa_type=sa.Text)
    previous_names: str | None = Field(default=None, sa_type=sa.Text)
    changed_at: datetime | None = _timestamp(nullable=True)
    seen_at: datetime = _timestamp()


class ViewedChannel(SQLModel, table=True):
    """The channel a user was last seen viewing beside the app's Messages tab (Slack's
    ``app_context_changed``): one row per (team, user), replaced by each change."""

    __tablename__ = "viewed_channels"

    team_id: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(primary_key=True, max_length=64)
    channel_id: str = Field(max_length=64)
    seen_at: datetime = _timestamp()
