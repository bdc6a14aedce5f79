"""The operator's run commands: ``chatops runs`` (with ``cancel``, ``resume`` and ``recover``),
``chatops run <id>`` and ``chatops usage``.

They open the database the bot writes to (``DATABASE_URL``) and, for the runs' DBOS status and
the steering commands, the runs' system database beside it (``bot.runs.RunControl``); nothing
else is reached. Only the steering commands change anything.
"""

from __future__ import annotations

import argparse
import sys

from bot.config import Settings, log_level
from bot.log import configure_logging
from bot.pricing import PriceTable
from bot.runs import (
    DEFAULT_DAYS,
    DEFAULT_LAST,
    GROUPINGS,
    ControlError,
    RunControl,
    RunTrace,
    RunTraces,
    WorkflowState,
    render_runs,
    render_trace,
    render_usage,
    run_usage,
    summarize,
)
from bot.store import Store

REPORTS = frozenset({"runs", "run", "usage"})
UNKNOWN = "-"
Workflows = dict[str, WorkflowState]


def add_report_arguments(name: str, parser: argparse.ArgumentParser) -> None:
    if name == "runs":
        parser.add_argument("--last", type=_positive, default=DEFAULT_LAST, metavar="N", help="how many runs")
        _add_run_actions(parser)
    elif name == "run":
        parser.add_argument("run_id", help="a run id, or a unique prefix of one (at least 4 characters)")
    elif name == "usage":
        parser.add_argument("--by", choices=GROUPINGS, default="day", help="how to group (default: day)")
        parser.add_argument("--days", type=_positive, default=DEFAULT_DAYS, metavar="N", help="how far back")


def _add_run_actions(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    cancel = actions.add_parser("cancel", help="stop a run wherever it runs (a queued one never starts)")
    cancel.add_argument("run_id", help="a run id, or a unique prefix of one")
    resume = actions.add_parser("resume", help="put an unfinished run back on the queue, to finish it")
    resume.add_argument("run_id", help="a run id, or a unique prefix of one")
    recover = actions.add_parser("recover", help="hand a dead executor's unfinished runs to the live ones")
    recover.add_argument("executor", help="its executor id (EXECUTOR_ID), as `chatops runs` shows it")
    recover.add_argument("--force", action="store_true", help="even if it beat in the last 30 s")


async def run_report(args: argparse.Namespace) -> int:
    settings = Settings.load(args.command)
    configure_logging(log_level(settings, args.command), settings.log_format)
    store = await Store.open(settings.database_url)
    try:
        if args.command == "runs" and getattr(args, "action", None):
            return await _steer(args, settings, store)
        return await _report(args, settings, store)
    except ControlError as exc:
        print(f"chatops: {exc}", file=sys.stderr)
        return 1
    finally:
        await store.close()


async def _report(args: argparse.Namespace, settings: Settings, store: Store) -> int:
    prices = PriceTable.from_setting(settings.llm_prices)
    traces = RunTraces(store)
    if args.command == "runs":
        recent = await traces.recent(args.last)
        table = render_runs(recent, prices, settings.llm_model)
        print(_with_workflows(table, recent, await _workflows(settings, store, recent)))
    elif args.command == "run":
        trace = await traces.trace(args.run_id)
        if trace is None:
            print(f"chatops: no run {args.run_id!r} (see `chatops runs`)", file=sys.stderr)
            return 1
        print(render_trace(trace, prices, settings.llm_model))
    else:
        usages = await run_usage(store, prices, settings.llm_model, days=args.days)
        print(render_usage(summarize(usages, args.by), args.by, args.days))
    return 0


async def _steer(args: argparse.Namespace, settings: Settings, store: Store) -> int:
    control = await _control(settings, store)
    try:
        if args.action == "cancel":
            state = await control.cancel(args.run_id)
            where = state.executor_id or UNKNOWN
            print(f"cancelled run {state.workflow_id} (it was {state.status} on {where})")
        elif args.action == "resume":
            state = await control.resume(args.run_id)
            print(f"resumed run {state.workflow_id}: queued again, {_steps(state)} kept")
        else:
            recovered = await control.recover(args.executor, force=args.force)
            print(_recovered(args.executor, recovered))
    finally:
        control.close()
    return 0


async def _control(settings: Settings, store: Store) -> RunControl:
    return await RunControl.open(store, settings.database_url, system_url=settings.dbos_system_database_url)


async def _workflows(settings: Settings, store: Store, traces: list[RunTrace]) -> Workflows | None:
    """The runs' DBOS side, or None when the system database cannot be read (the list still prints)."""
    if not traces:
        return {}
    try:
        control = await _control(settings, store)
    except ControlError:
        return None
    try:
        return await control.workflows([trace.run.id for trace in traces])
    except ControlError:
        return None
    finally:
        control.close()


def _with_workflows(table: str, traces: list[RunTrace], workflows: Workflows | None) -> str:
    """``render_runs``' table with two more columns: each run's DBOS status and its executor."""
    if not traces:
        return table
    lines = table.splitlines()
    width = max(len(line) for line in lines)
    extra = [f"{'dbos':<9}  executor"]
    for trace in traces:
        state = (workflows or {}).get(trace.run.id)
        status, executor = (state.status, state.executor_id or UNKNOWN) if state else (UNKNOWN, UNKNOWN)
        extra.append(f"{status:<9}  {executor}")
    return "\n".join(f"{line:<{width}}  {column}".rstrip() for line, column in zip(lines, extra, strict=True))


def _recovered(executor: str, states: list[WorkflowState]) -> str:
    if not states:
        return f"executor {executor} has no unfinished runs"
    lines = [f"handed {len(states)} unfinished run(s) of {executor} to the live processes:"]
    lines += [f"  {state.workflow_id}  {_steps(state)} kept" for state in states]
    return "\n".join(lines)


def _steps(state: WorkflowState) -> str:
    return "1 recorded step" if state.steps == 1 else f"{state.steps} recorded steps"


def _positive(value: str) -> int:
    number = int(value) if value.strip().isdigit() else 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1 (got {value!r})")
    return number
