"""The life of a run: the dispatcher (concurrency cap, one run per conversation at a time, time
budget, drain), boot recovery, the digest scheduler, retention, and the run traces and usage
read back from the store.

Rule: runs execute workflows handed to them as jobs; they import the store and the shared root
modules, never ``bot.slack``, ``bot.console``, the workflows or Slack's libraries. Anything to
say in a thread goes out as an event to a sink or through a port the edge provides.
"""

from __future__ import annotations

from bot.runs.dispatcher import Dispatcher, RunJob
from bot.runs.recovery import CONSOLE_CHANNEL, recover_interrupted
from bot.runs.retention import Retention
from bot.runs.scheduler import DigestScheduler, Fire
from bot.runs.traces import (
    DEFAULT_LAST,
    RunTrace,
    RunTraces,
    details_for,
    is_details_request,
    render_details,
    render_runs,
    render_trace,
)
from bot.runs.usage import DEFAULT_DAYS, GROUPINGS, render_usage, run_usage, summarize

__all__ = [
    "CONSOLE_CHANNEL",
    "DEFAULT_DAYS",
    "DEFAULT_LAST",
    "DigestScheduler",
    "Dispatcher",
    "Fire",
    "GROUPINGS",
    "Retention",
    "RunJob",
    "RunTrace",
    "RunTraces",
    "details_for",
    "is_details_request",
    "recover_interrupted",
    "render_details",
    "render_runs",
    "render_trace",
    "render_usage",
    "run_usage",
    "summarize",
]
