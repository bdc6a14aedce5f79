"""The operator's commands: ``chatops doctor`` (one line per setting and upstream, with the fix)
and ``chatops runs`` / ``run`` / ``usage`` (run traces and cost read from the store).

Rule: read-only toward the bot's state except the doctor's one test write; may import every
package below the entry point (Slack only through ``bot.slack.probe``).
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
