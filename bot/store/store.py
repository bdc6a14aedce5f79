"""The bot's memory behind one async API: ``Store``, every aggregate's queries on one database.

Each aggregate keeps its queries in a module of its own (conversations, runs, claims, feedback,
retention, Slack budgets, executors' heartbeats, the channel each user views), as a class over
``Database``; ``Store`` is all of them at once, so callers hold one object. Repositories of other
tables (``Approvals``, ``Schedules``) take the ``Database``.
"""

from __future__ import annotations

from bot.store.budget import SlackBudgets
from bot.store.claims import Claims
from bot.store.conversations import Conversations, StoredQuestion
from bot.store.executors import ExecutorRecord, Executors
from bot.store.feedback import RunFeedback
from bot.store.retention import Retention
from bot.store.runs import RunRecord, Runs, ToolCallRecord
from bot.store.viewing import Viewing

# The records its methods return, re-exported: callers import them from here (or from bot.store).
__all__ = ["ExecutorRecord", "RunRecord", "Store", "StoredQuestion", "ToolCallRecord"]


class Store(Conversations, Runs, Claims, RunFeedback, Retention, SlackBudgets, Executors, Viewing):
    """Async access to the bot's tables. Create with ``await Store.open(url)``."""
