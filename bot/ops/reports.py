"""The operator's read-only commands: ``chatops runs``, ``chatops run <id>`` and ``chatops usage``.

They open the database the bot writes to (``DATABASE_URL``) and print; nothing else is reached.
"""

from __future__ import annotations

import argparse
import sys

from bot.config import Settings
from bot.log import configure_logging
from bot.pricing import PriceTable
from bot.runs import (
    DEFAULT_DAYS,
    DEFAULT_LAST,
    GROUPINGS,
    RunTraces,
    render_runs,
    render_trace,
    render_usage,
    run_usage,
    summarize,
)
from bot.store import Store

REPORTS = frozenset({"runs", "run", "usage"})


def add_report_arguments(name: str, parser: argparse.ArgumentParser) -> None:
    if name == "runs":
        parser.add_argument("--last", type=_positive, default=DEFAULT_LAST, metavar="N", help="how many runs")
    elif name == "run":
        parser.add_argument("run_id", help="a run id, or a unique prefix of one (at least 4 characters)")
    elif name == "usage":
        parser.add_argument("--by", choices=GROUPINGS, default="day", help="how to group (default: day)")
        parser.add_argument("--days", type=_positive, default=DEFAULT_DAYS, metavar="N", help="how far back")


async def run_report(args: argparse.Namespace) -> int:
    settings = Settings.load(args.command)
    configure_logging(settings.log_level, settings.log_format)
    prices = PriceTable.from_setting(settings.llm_prices)
    store = await Store.open(settings.database_url)
    try:
        traces = RunTraces(store)
        if args.command == "runs":
            print(render_runs(await traces.recent(args.last), prices, settings.llm_model))
        elif args.command == "run":
            trace = await traces.trace(args.run_id)
            if trace is None:
                print(f"chatops: no run {args.run_id!r} (see `chatops runs`)", file=sys.stderr)
                return 1
            print(render_trace(trace, prices, settings.llm_model))
        else:
            usages = await run_usage(store, prices, settings.llm_model, days=args.days)
            print(render_usage(summarize(usages, args.by), args.by, args.days))
    finally:
        await store.close()
    return 0


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("expected a whole number of at least 1")
    return number
