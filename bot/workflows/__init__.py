"""Typed workflows: ask (question → agent → events), the structured ones (standup digest,
triage, thread → issue, drafted writes) and intake, where every entry point hands over a question.

Rule: a workflow is an async function that yields events (``bot.events``); a sink renders them.
Workflows import the agent, runs, store and the shared root modules; never ``bot.slack``,
``bot.console`` or Slack's libraries.
"""

from __future__ import annotations

from bot.workflows.ask import continue_run
from bot.workflows.attachments import read_attachments
from bot.workflows.digest import Digest, DigestItem
from bot.workflows.intake import Inquiry, Intake, Trigger
from bot.workflows.issue_draft import IssueRequest, parse_request
from bot.workflows.services import Workflows, build_workflows

__all__ = [
    "Digest",
    "DigestItem",
    "Inquiry",
    "Intake",
    "IssueRequest",
    "Trigger",
    "Workflows",
    "build_workflows",
    "continue_run",
    "parse_request",
    "read_attachments",
]
