"""The life of a run: the durable-execution engine (DBOS embedded), runs as workflows on its
queue (a cap per process, order per conversation, stop, drain, resume after a crash), the
digest scheduler, retention, and the run traces and usage read back from the store.

Rule: runs execute programs registered by their owners; they import the store and the shared
root modules, never ``bot.slack``, ``bot.console``, the workflows or Slack's libraries. Anything
to say in a thread goes out as an event to a sink that the edge's ``SinkRouter`` builds. Only
this package (and the agent, for its steps) imports ``dbos``.
"""

from __future__ import annotations

from bot.runs.adoption import Adoption
from bot.runs.control import ControlError, RunControl, WorkflowState
from bot.runs.durable import (
    RUN_QUEUE,
    STOPPED,
    Program,
    RunOrder,
    Runs,
    queue_name,
    run_once,
    run_queue,
    task,
)
from bot.runs.engine import (
    CONSOLE_APP,
    RUNS_VERSION,
    SLACK_APP,
    Engine,
    QueueSpec,
    executor_identity,
    in_workflow,
    step,
    system_database_url,
)
from bot.runs.executors import Heartbeat
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
    "Adoption",
    "CONSOLE_APP",
    "ControlError",
    "DEFAULT_DAYS",
    "DEFAULT_LAST",
    "DigestScheduler",
    "Engine",
    "Fire",
    "GROUPINGS",
    "Heartbeat",
    "Retention",
    "Program",
    "QueueSpec",
    "RUN_QUEUE",
    "RUNS_VERSION",
    "RunControl",
    "RunOrder",
    "Runs",
    "SLACK_APP",
    "WorkflowState",
    "STOPPED",
    "RunTrace",
    "RunTraces",
    "details_for",
    "is_details_request",
    "executor_identity",
    "in_workflow",
    "run_once",
    "queue_name",
    "run_queue",
    "task",
    "step",
    "system_database_url",
    "render_details",
    "render_runs",
    "render_trace",
    "render_usage",
    "run_usage",
    "summarize",
]
