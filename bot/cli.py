"""The `chatops` command line (also `python -m bot`): its commands, their help (with the settings
each reads, from `Settings` itself) and every failure as one line on stderr.

A failure prints ``chatops: <what failed>: <how to fix it>`` and exits non-zero (2 for a setting,
1 otherwise); the traceback is printed too only with LOG_LEVEL=DEBUG.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import textwrap
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pydantic.fields import FieldInfo

from bot.config import Mode, Settings, log_level
from bot.errors import ConfigError
from bot.eval import add_eval_arguments, run_eval
from bot.log import configure_logging
from bot.ops import REPORTS, add_report_arguments, run_report
from integrations.errors import ChatOpsError

COMMANDS: dict[str, str] = {
    "serve": "HTTP mode: Slack Events API, commands and interactivity on $PORT",
    "socket": "Socket Mode (needs SLACK_APP_TOKEN)",
    "console": "the same workflows with the terminal as the chat",
    "demo": "the console against built-in SIMULATED Jira, GitHub and LLM",
    "mcp": "our Jira, GitHub and CI read tools as an MCP server for IDE agents "
    "(Streamable HTTP on $MCP_PORT, or --stdio); writes are not offered yet",
    "doctor": "check configuration and reach every upstream",
    "migrate": "bring the database schema to the newest revision (serve and socket do it on start-up too)",
    "runs": "the last runs (outcome, duration, tools, tokens, cost, DBOS status, executor); "
    "runs cancel|resume ID, runs recover EXECUTOR",
    "run": "one run's trace: every LLM request and tool call, with durations",
    "usage": "token usage and cost by channel, user or day",
    "eval": "the answer-quality and write-safety suite against a model, on SIMULATED Jira, GitHub, CI "
    "and MCP data; report.json and report.md in --out; eval compare A.json B.json",
    "help": "this help, or one command's: chatops help COMMAND",
}

# The topics of settings (the ``topics`` of each ``Settings`` field) each command reads, and their titles.
_AGENT = ("database", "jira", "github", "llm", "mcp", "runs", "writes", "logging")
READS: dict[str, tuple[str, ...]] = {
    "serve": ("slack", "slack-events", "server", *_AGENT),
    "socket": ("slack", "socket-mode", "server", *_AGENT),
    "console": _AGENT,
    "demo": ("runs", "writes"),  # its upstreams and database are built in
    "mcp": ("jira", "github", "mcp", "logging"),
    "doctor": ("slack", "database", "jira", "github", "llm", "runs", "mcp"),
    "migrate": ("database", "logging"),
    "runs": ("database", "cost", "logging"),
    "run": ("database", "cost", "logging"),
    "usage": ("database", "cost", "logging"),
    "eval": ("llm", "cost", "runs", "logging"),  # its upstreams are SIMULATED
    "help": (),
}
TOPICS: dict[str, str] = {
    "slack": "Slack",
    "slack-events": "Slack, serve",
    "socket-mode": "Slack, socket",
    "server": "HTTP",
    "database": "database",
    "jira": "Jira",
    "github": "GitHub",
    "llm": "LLM",
    "cost": "cost",
    "runs": "runs",
    "writes": "writes",
    "mcp": "MCP",
    "logging": "logging",
}
_WIDTH = 100
_KEEP = "\N{NO-BREAK SPACE}"  # a space the help does not wrap at (textwrap breaks at ASCII spaces only)


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The top-level parser, and each command's (for ``chatops help COMMAND``)."""
    parser = argparse.ArgumentParser(
        prog="chatops",
        description="A Slack chat-ops agent for Jira and GitHub.",
        epilog=settings_overview(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    subparsers: dict[str, argparse.ArgumentParser] = {}
    for name, help_text in COMMANDS.items():
        sub = commands.add_parser(
            name,
            help=help_text,
            description=textwrap.fill(help_text, _WIDTH),
            epilog=command_settings(name),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if name in REPORTS:
            add_report_arguments(name, sub)
        if name == "eval":
            add_eval_arguments(sub)
        if name == "mcp":
            sub.add_argument(
                "--stdio", action="store_true", help="serve one client on stdin/stdout (no token needed)"
            )
        subparsers[name] = sub
    subparsers["help"].add_argument("topic", nargs="?", choices=list(COMMANDS), metavar="COMMAND")
    return parser, subparsers


def main(argv: Sequence[str] | None = None) -> int:
    parser, subparsers = build_parser()
    args = parser.parse_args(argv)  # a usage error: usage and one line, exit 2 (argparse's own)
    if args.command == "help":
        print((subparsers[args.topic] if args.topic else parser).format_help(), end="")
        return 0
    command: Mode = args.command
    try:
        if command in REPORTS:
            return asyncio.run(run_report(args))
        if command == "eval":
            return asyncio.run(run_eval(args))
        with asyncio.Runner(loop_factory=_event_loop(command)) as runner:
            return runner.run(_run(command, stdio=getattr(args, "stdio", False)))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        return fail(exc, command)


def fail(exc: Exception, command: str) -> int:
    """Print ``exc`` as one line (after its traceback, with LOG_LEVEL=DEBUG); the exit status."""
    if _debugging():
        traceback.print_exception(exc, file=sys.stderr)
    print(f"chatops: {failure_line(exc, command)}", file=sys.stderr)
    return 2 if isinstance(exc, ConfigError) else 1


def failure_line(exc: Exception, command: str) -> str:
    if isinstance(exc, ConfigError):
        fix = f"fix {exc.variable} in the environment or .env (`chatops help {command}` lists the settings)"
        return f"configuration error: {exc.message}; {fix}"
    if isinstance(exc, ChatOpsError):  # ours say what failed and what to do
        return exc.message
    # A bug or an exception nobody translated yet: its first line only (it may carry a URL or data).
    first = (str(exc).strip().splitlines() or [""])[0][:200]
    return f"unexpected {type(exc).__name__}: {first} (LOG_LEVEL=DEBUG shows the traceback; please report it)"


def _debugging() -> bool:
    # The environment too: a setting that failed validation never reached configure_logging.
    level = os.environ.get("LOG_LEVEL", "").strip().upper()
    return level == "DEBUG" or logging.getLogger().isEnabledFor(logging.DEBUG)


@dataclass(frozen=True)
class Variable:
    """One setting as the help shows it, read from its ``Settings`` field."""

    name: str
    topics: tuple[str, ...]
    about: str
    required_for: tuple[str, ...]

    @classmethod
    def of(cls, name: str, field: FieldInfo) -> Variable:
        extra = field.json_schema_extra
        assert isinstance(extra, dict)  # every field is made by bot.config's _env
        default = field.get_default(call_default_factory=True)
        if isinstance(default, bool):
            default = str(default).lower()
        shown = f" [default:{_KEEP}{default}]" if default not in (None, "", [], {}) else ""
        topics, required_for = extra["topics"], extra["required_for"]
        assert isinstance(topics, list) and isinstance(required_for, list)
        return cls(
            name.upper(),
            tuple(map(str, topics)),
            f"{field.description}{shown}",
            tuple(map(str, required_for)),
        )


def variables() -> list[Variable]:
    return [Variable.of(name, field) for name, field in Settings.model_fields.items()]


def settings_overview() -> str:
    """The help's list of settings: which commands require which, then every one by topic."""
    every = variables()
    lines = ["environment (or a .env file in the working directory; `chatops help COMMAND` explains each):"]
    for command in COMMANDS:
        required = [v.name for v in every if command in v.required_for]
        if required:
            lines.append(_row(f"{command} requires", " ".join(required)))
    for topic, title in TOPICS.items():
        lines.append(_row(title, " ".join(v.name for v in every if v.topics[0] == topic)))
    return "\n".join(lines)


def command_settings(command: str) -> str:
    """The settings ``command`` reads, required first, each with what it is for and its default."""
    read = [v for v in variables() if set(v.topics) & set(READS[command]) or command in v.required_for]
    if not read:
        return "environment: none read"
    lines = ["environment (or a .env file in the working directory):"]
    for title, required in (("required", True), ("optional", False)):
        group = [v for v in read if (command in v.required_for) is required]
        if group:
            lines.append(f" {title}:")
            lines.extend(_row(v.name, v.about) for v in group)
    return "\n".join(lines)


def _row(label: str, text: str) -> str:
    """``label`` in a column of its own (the longest name fits), ``text`` wrapped beside it."""
    wrapped = textwrap.fill(text, _WIDTH, initial_indent=f"  {label:<27} ", subsequent_indent=" " * 30)
    return wrapped.replace(_KEEP, " ")


def _event_loop(command: Mode) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """The event loop a long-running edge runs on: uvloop's (libuv) where it is installed, which
    spends a fraction of asyncio's own time per callback; the standard one elsewhere."""
    if command not in ("serve", "socket", "mcp"):
        return None
    try:
        import uvloop
    except ImportError:  # not on this platform (Windows): asyncio's loop does the same, slower
        return None
    return uvloop.new_event_loop


async def _run(command: Mode, *, stdio: bool = False) -> int:
    if command == "demo":
        configure_logging("WARNING")
        from bot.console import run_demo

        await run_demo()
        return 0
    settings = Settings.load(command)
    configure_logging(log_level(settings, command), settings.log_format)
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
    elif command == "mcp":
        from bot.mcp import run_mcp

        await run_mcp(settings, stdio=stdio)
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
