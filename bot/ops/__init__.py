"""The operator's commands: ``chatops doctor`` (one line per setting and upstream, with the fix)
and ``chatops runs`` / ``run`` / ``usage`` (run traces and cost read from the store), with
``runs cancel | resume | recover`` steering durable runs across the fleet (``bot.runs.control``).

Rule: read-only toward the bot's state except the doctor's one test write and the operator's
explicit run commands; may import every package below the entry point (Slack only through
``bot.slack.probe``).
"""

from __future__ import annotations

from bot.ops.doctor import run_doctor
from bot.ops.reports import REPORTS, add_report_arguments, run_report

__all__ = [
    "REPORTS",
    "add_report_arguments",
    "run_doctor",
    "run_report",
]
