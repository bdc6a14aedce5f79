"""The approval desk and the write policy: a proposed write waits for the asker's click, runs
exactly once when approved, and the paused run resumes with the outcome.

Rule: only the desk executes writes, and only for the asker (and ``WRITE_USERS`` /
``WRITE_CHANNELS``). Imports workflows, agent, runs, store and the shared root modules; never
``bot.slack`` or ``bot.console`` (they call the desk, not the other way round).
"""

from __future__ import annotations

from bot.approvals.desk import ApprovalDesk, Choice, Verdict
from bot.approvals.policy import WritePolicy

__all__ = [
    "ApprovalDesk",
    "Choice",
    "Verdict",
    "WritePolicy",
]
