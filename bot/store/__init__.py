"""The bot's state: the tables (sqlmodel), their queries by aggregate, engine set-up and Alembic migrations.

Rule: this package owns the tables and the queries on them. It imports no other ``bot`` package,
only the root modules ``bot.errors``, ``bot.events`` and ``bot.ports``; it never calls Slack, the
LLM or any upstream. Inside the package, modules import one another by submodule
(``from bot.store.runs import ...``), never through this file, so that importing any one of them
cannot loop back here.

- ``engine``, ``database``: the engine from ``DATABASE_URL`` (SQLite in WAL mode, or PostgreSQL),
  migrations on open (``schema``, ``migrations/``), short read and write transactions.
- ``conversations``, ``runs``, ``claims``, ``feedback``, ``retention``, ``budget`` (Slack rate
  buckets that processes share), ``executors`` (the fleet's heartbeats), ``viewing`` (the channel
  each user views beside the Messages tab): one aggregate each, as a class over ``Database``;
  ``store.Store`` combines them into the one object callers hold.
- ``approvals``, ``schedules`` (with ``schedule``, the digest times), ``tool_lists`` (the MCP
  servers' last tool lists): repositories on the database.
- ``models``: the tables; ``cascade``: deleting rows with what refers to them; ``text``: text made
  storable.
"""

from bot.store.approvals import ApprovalRecord, Approvals, ApprovalStatus, Asker, Proposal, Resumption
from bot.store.budget import BudgetReading
from bot.store.conversations import StoredQuestion
from bot.store.database import Database
from bot.store.executors import ExecutorRecord
from bot.store.models import (
    Conversation,
    DigestSchedule,
    LlmCall,
    Run,
    SeenEvent,
    SlackBudgetCell,
    ViewedChannel,
    utcnow,
)
from bot.store.runs import RunRecord, ToolCallRecord
from bot.store.schedule import USAGE, ScheduleSpec, parse_spec
from bot.store.schedule import USAGE as SCHEDULE_USAGE
from bot.store.schedules import FireRecord, ScheduleRecord, Schedules, TooManySchedules
from bot.store.store import Store
from bot.store.tool_lists import ListedTool, ToolListChange, ToolLists, fingerprint

__all__ = [
    "ApprovalRecord",
    "ApprovalStatus",
    "Approvals",
    "Asker",
    "BudgetReading",
    "Conversation",
    "Database",
    "DigestSchedule",
    "ExecutorRecord",
    "FireRecord",
    "ListedTool",
    "LlmCall",
    "Proposal",
    "Resumption",
    "Run",
    "RunRecord",
    "SCHEDULE_USAGE",
    "ScheduleRecord",
    "ScheduleSpec",
    "Schedules",
    "SeenEvent",
    "SlackBudgetCell",
    "Store",
    "StoredQuestion",
    "TooManySchedules",
    "ToolCallRecord",
    "ToolListChange",
    "ToolLists",
    "ViewedChannel",
    "fingerprint",
    "USAGE",
    "parse_spec",
    "utcnow",
]
