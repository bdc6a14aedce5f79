"""The Bolt listeners: one module per surface (approvals, look-ups, unfurls, structured
workflows, the controls under an answer: stop, feedback, details; thread memory).

Rule: a listener reads a Slack payload, calls a desk, intake or look-up, and renders the result
through ``bot.slack.delivery`` and ``bot.slack.blocks``; it never calls a Web API write method
itself and holds no business logic of its own. Cross-cutting steps (retry dedup, the command
claim, log context) are middleware in ``bot.slack.middleware`` / ``bot.slack.context``.
"""

from __future__ import annotations

from bot.slack.listeners.approvals import register_approvals
from bot.slack.listeners.details import register_details
from bot.slack.listeners.feedback import register_feedback
from bot.slack.listeners.home import register_home
from bot.slack.listeners.lookup import register_lookup
from bot.slack.listeners.memory import answer_memory_request, memory_request
from bot.slack.listeners.stop import register_stop
from bot.slack.listeners.unfurl import register_unfurls
from bot.slack.listeners.workflows import register_workflows

__all__ = [
    "answer_memory_request",
    "memory_request",
    "register_approvals",
    "register_details",
    "register_feedback",
    "register_home",
    "register_lookup",
    "register_stop",
    "register_unfurls",
    "register_workflows",
]
