"""The `chatops` command line (also `python -m bot`)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Sequence

from bot.config import Mode, Settings
from bot.errors import ConfigError
from bot.log import configure_logging
from bot.ops import REPORTS, add_report_arguments, run_report

COMMANDS: dict[str, str] = {
    "serve": "HTTP mode: Slack Events API, commands and interactivity on $PORT",
    "socket": "Socket Mode (needs SLACK_APP_TOKEN)",
    "console": "the same workflows with the terminal as the chat",
    "demo": "the console against built-in SIMULATED Jira, GitHub and LLM",
    "doctor": "check configuration and reach every upstream",
    "migrate": "bring the database schema to the newest revision (serve and socket do it on start-up too)",
    "runs": "the last runs (outcome, duration, tools, tokens, cost, DBOS status, executor); "
    "runs cancel|resume ID, runs recover EXECUTOR",
    "run": "one run's trace: every LLM request and tool call, with durations",
    "usage": "token usage and cost by channel, user or day",
}


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="chatops", description="A Slack chat-ops agent for Jira and GitHub."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        sub = commands.add_parser(name, help=help_text, description=help_text)
        if name in REPORTS:
            add_report_arguments(name, sub)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    command: Mode = args.command
    try:
        if command in REPORTS:
            return asyncio.run(run_report(args))
        with asyncio.Runner(loop_factory=_event_loop(command)) as runner:
            return runner.run(_run(command))
    except ConfigError as exc:
        print(f"chatops: configuration error: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _event_loop(command: Mode) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """The event loop a long-running edge runs on: uvloop's (libuv) where it is installed, which
    spends a fraction of asyncio's own time per callback; the standard one elsewhere."""
    if command not in ("serve", "socket"):
        return None
    try:
        import uvloop
    except ImportError:  # not on this platform (Windows): asyncio's loop does the same, slower
        return None
    return uvloop.new_event_loop


async def _run(command: Mode) -> int:
    if command == "demo":
        configure_logging("WARNING")
        from bot.console import run_demo

        await run_demo()
        return 0
    settings = Settings.load(command)
    configure_logging(settings.log_level, settings.log_format)
    if command == "serve":
        from bot.slack import run_http

        await run_http(settings)
    elif command == "socket":
        from bot.slack import run_socket

        await run_socket(settings)
    elif command == "console":
        return await _console(settings)
    elif command == "doctor":
        from bot.ops import run_doctor

        return await run_doctor(settings)
    elif command == "migrate":
        return await _migrate(settings)
    return 0


async def _migrate(settings: Settings) -> int:
    from bot.store import Store

    store = await Store.open(settings.database_url)  # migrates, under the start-up lock
    try:
        print(f"database schema at revision {await store.schema_revision()}")
    finally:
        await store.close()
    return 0


async def _console(settings: Settings) -> int:
    from bot.console import run_console
    from bot.services import build_services

    services = await build_services(settings)
    try:
        await run_console(services)
    finally:
        await services.aclose()
    return 0
