"""`chatops doctor`: one line per setting and upstream, saying what was tried and, for whatever
failed, the fix.

Checks: the settings for serve/socket, each setting still equal to `.env.example`'s example value
(`bot.ops.placeholders`), the database (migrated, then a write), Slack (``auth.test`` and the
granted scopes against ``manifest.yml``), Jira (``myself``), GitHub (``user`` and the rate limit),
the LLM (a one-token request), and each MCP server of MCP_CONFIG (``tools/list``, its tools
counted as read, write or filtered out by the server's policy, and a change of its tool list
since it was last seen, by doctor or by the agent: a warning, or a failure when the new tools
include a write the policy lets through unnamed). An upstream that is not
configured is reported as off (no MCP_CONFIG: no MCP line) and is not a failure; anything
configured that does not work is, and makes the exit code 1. An upstream whose credentials are
example values is not called: they would be refused, and the example Jira site or database host
is somebody else's. Lines name settings, never their values (nor an MCP server's header or env
values).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import httpx
import yaml
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlmodel import col, delete

from bot.agent.mcp import (
    HTTPTransport,
    MCPServerConfig,
    StdioTransport,
    ToolInfo,
    ToolKind,
    ToolListFailed,
    list_tools,
    load_mcp_config,
    target,
    tool_kind,
)
from bot.config import Mode, Settings, mcp_environ
from bot.errors import ConfigError
from bot.ops.placeholders import Placeholder, placeholders_in
from bot.services import github_client, jira_client
from bot.slack import ProbeFailed, identify
from bot.store import Database, SeenEvent, Store, ToolListChange, ToolLists, utcnow
from integrations.errors import ChatOpsError

Outcome = Literal["ok", "fail", "off"]
# The settings still equal to an example value, by variable name.
Examples = Mapping[str, Placeholder]

_MARKS: dict[Outcome, str] = {"ok": "✓", "fail": "✗", "off": "–"}
MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"
# Below this share of the hourly GitHub budget left, the line says so (still not a failure).
_LOW_RATE_LIMIT = 0.1
# The Slack tokens each long-running mode starts with.
_MODE_TOKENS: dict[Mode, tuple[str, ...]] = {
    "serve": ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"),
    "socket": ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"),
}
_JIRA_CREDENTIALS = ("JIRA_BASE_URL", "JIRA_EMAIL", "JIRA_API_TOKEN", "JIRA_PAT")
_GITHUB_CREDENTIALS = (
    "GITHUB_TOKEN",
    "GITHUB_APP_ID",
    "GITHUB_APP_PRIVATE_KEY",
    "GITHUB_APP_INSTALLATION_ID",
)
# Per MCP server: a slow or silent one must not hold the doctor for long.
MCP_TIMEOUT_SECONDS = 10.0
# A tool list's last change stays on the server's line this long (whoever saw it first).
_CHANGE_SHOWN_FOR = timedelta(days=1)
# How many tool names of one kind a line shows before "…".
_NAMES_SHOWN = 3


@dataclass(frozen=True)
class Check:
    name: str
    outcome: Outcome
    detail: str
    fix: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome != "fail"

    def line(self) -> str:
        # At least two spaces after the name, so a long one (mcp:<server>) still stands apart.
        text = f"{_MARKS[self.outcome]} {self.name:<8}  {self.detail}"
        return f"{text} — fix: {self.fix}" if self.fix else text


def _ok(name: str, detail: str) -> Check:
    return Check(name, "ok", detail)


def _fail(name: str, detail: str, fix: str) -> Check:
    return Check(name, "fail", detail, fix)


async def run_doctor(settings: Settings, *, manifest: Path = MANIFEST) -> int:
    examples = {placeholder.variable: placeholder for placeholder in placeholders_in(settings)}
    upstreams = await asyncio.gather(
        _database(settings, examples),
        _slack(settings, manifest, examples),
        _jira(settings, examples),
        _github(settings, examples),
        _llm(settings, examples),
        _mcp(settings, examples),
    )
    *others, mcp_checks = upstreams
    checks = [_settings(settings, examples), *map(_example, examples.values()), *others, *mcp_checks]
    for check in checks:
        print(check.line())
    return 0 if all(check.ok for check in checks) else 1


def _settings(settings: Settings, examples: Examples) -> Check:
    ready, problems = [], []
    for mode, tokens in _MODE_TOKENS.items():
        try:
            settings.require(mode)
        except ConfigError as exc:
            problems.append(f"{mode}: set {exc.variable} ({exc.message.removeprefix(exc.variable + ': ')})")
            continue
        unusable = [variable for variable in tokens if variable in examples]
        if unusable:
            problems.append(f"{mode}: replace {_example_values(unusable)}")
        else:
            ready.append(mode)
    tried = "settings for serve and socket"
    if ready:
        return _ok("settings", f"{tried}: ready for {' and '.join(ready)}")
    return _fail("settings", f"{tried}: neither can start", "; ".join(problems))


def _example(placeholder: Placeholder) -> Check:
    detail = f"{placeholder.variable} is still the example value from .env.example"
    return _fail("settings", detail, placeholder.fix)


def _example_values(variables: list[str]) -> str:
    """The phrase naming one variable's example value or several variables' example values."""
    plural = "s" if len(variables) > 1 else ""
    return f"the example value{plural} of {', '.join(variables)}"


def _not_tried(name: str, attempt: str, examples: Examples, variables: tuple[str, ...]) -> Check | None:
    """The failure of a check left untried because a setting it would send is an example value."""
    found = [examples[variable] for variable in variables if variable in examples]
    if not found:
        return None
    names = [placeholder.variable for placeholder in found]
    fixes = "; ".join(placeholder.fix for placeholder in found)
    return _fail(name, f"{attempt} not tried with {_example_values(names)}", fixes)


async def _database(settings: Settings, examples: Examples) -> Check:
    attempt = f"open and write {_address(settings.database_url)}"
    if untried := _not_tried("database", attempt, examples, ("DATABASE_URL",)):
        return untried
    try:
        store = await Store.open(settings.database_url)  # migrates, as serve does
    except ChatOpsError as exc:
        return _fail(
            "database", f"{attempt}: {exc.message}", "set DATABASE_URL to a reachable, writable database"
        )
    try:
        key = f"doctor:{uuid.uuid4().hex}"
        async with store.writing() as session:  # a write proves more than a read: permissions, disk
            session.add(SeenEvent(key=key))
            await session.flush()
            await session.exec(delete(SeenEvent).where(col(SeenEvent.key) == key))
        info = await store.diagnostics()
        revision = await store.schema_revision()
    except Exception as exc:  # doctor reports every failure rather than stopping at the first
        return _fail(
            "database", f"{attempt}: cannot write ({type(exc).__name__})", "check the database's permissions"
        )
    finally:
        await store.close()
    return _ok("database", f"{attempt}: {info['backend']}, schema {revision}, write ok")


def _address(database_url: str) -> str:
    """The database's URL without its password or query string (which may carry one)."""
    try:
        url = make_url(database_url.strip())
    except ArgumentError:
        return "DATABASE_URL"
    return url.set(query={}).render_as_string(hide_password=True)


async def _slack(settings: Settings, manifest: Path, examples: Examples) -> Check:
    attempt = f"auth.test at {settings.slack_api_url}"
    if settings.slack_bot_token is None:
        return _fail(
            "slack",
            f"{attempt} not tried: SLACK_BOT_TOKEN is not set",
            "set SLACK_BOT_TOKEN (needed for serve and socket)",
        )
    if untried := _not_tried("slack", attempt, examples, ("SLACK_BOT_TOKEN",)):
        return untried
    try:
        identity = await identify(settings.slack_bot_token.get_secret_value(), settings.slack_api_url)
    except ProbeFailed as exc:
        if exc.reason == "refused":
            return _fail(
                "slack", f"{attempt}: refused ({exc.detail})", "copy the Bot User OAuth Token (xoxb-) again"
            )
        return _fail("slack", f"{attempt}: not reached ({exc.detail})", "check SLACK_API_URL")
    who = f"{attempt}: team {identity.team!r}, bot user {identity.user_id}"
    wanted = manifest_scopes(manifest)
    if wanted is None:
        return _ok("slack", f"{who}; scopes not checked ({manifest.name} not found)")
    missing = [scope for scope in wanted if scope not in identity.scopes]
    if missing:
        return _fail(
            "slack",
            f"{who}; missing scopes {', '.join(missing)}",
            "add them under OAuth & Permissions (or update the app from manifest.yml) and reinstall the app",
        )
    return _ok("slack", f"{who}; all {len(wanted)} scopes of {manifest.name} granted")


def manifest_scopes(manifest: Path) -> list[str] | None:
    """The bot scopes the app manifest asks for, or None when there is no manifest to read."""
    try:
        document = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    scopes = _dig(document, "oauth_config", "scopes", "bot")
    return [str(scope) for scope in scopes] if isinstance(scopes, list) else None


def _dig(document: Any, *keys: str) -> Any:
    for key in keys:
        document = document.get(key) if isinstance(document, dict) else None
    return document


async def _jira(settings: Settings, examples: Examples) -> Check:
    if not settings.jira_enabled:
        return Check(
            "jira", "off", "not configured (set JIRA_BASE_URL with JIRA_EMAIL + JIRA_API_TOKEN, or JIRA_PAT)"
        )
    attempt = f"myself at {settings.jira_base_url}"
    if untried := _not_tried("jira", attempt, examples, _JIRA_CREDENTIALS):
        return untried
    client = jira_client(settings)
    assert client is not None  # jira_enabled
    async with client:
        try:
            who = await client.myself()
        except ChatOpsError as exc:
            return _fail(
                "jira",
                f"{attempt}: {exc.message}",
                "check JIRA_BASE_URL and the credentials (JIRA_API_TOKEN or JIRA_PAT)",
            )
    return _ok("jira", f"{attempt}: signed in as {who}")


async def _github(settings: Settings, examples: Examples) -> Check:
    if not settings.github_enabled:
        return Check("github", "off", "not configured (set GITHUB_TOKEN, or the GITHUB_APP_* settings)")
    who_am_i = "an installation token" if settings.github_app_enabled else "user"
    attempt = f"{who_am_i} and rate_limit at {settings.github_api_url}"
    if untried := _not_tried("github", attempt, examples, _GITHUB_CREDENTIALS):
        return untried
    try:
        client = github_client(settings)
    except ConfigError as exc:  # the App's private key cannot be read
        return _fail("github", f"{attempt} not tried: {exc.message}", "set GITHUB_APP_PRIVATE_KEY")
    assert client is not None  # github_enabled
    async with client:
        try:
            who = await client.viewer()
            remaining, limit, reset = await client.rate_limit()
        except ChatOpsError as exc:
            return _fail(
                "github",
                f"{attempt}: {exc.message}",
                "check GITHUB_API_URL and GITHUB_TOKEN (or the GitHub App)",
            )
    detail = f"{attempt}: signed in as {who}; rate limit {remaining}/{limit} left"
    if limit and remaining < limit * _LOW_RATE_LIMIT:
        detail += f", resets in {max(0, reset - int(time.time())) // 60} min"
    return _ok("github", detail)


async def _llm(settings: Settings, examples: Examples) -> Check:
    if settings.llm_api_key is None and settings.llm_base_url is None:
        return _fail(
            "llm", "no LLM configured", "set LLM_API_KEY (and LLM_BASE_URL for a non-OpenAI endpoint)"
        )
    url, headers, body = _one_token_request(settings)
    attempt = f"a one-token request for {settings.llm_model} to {url}"
    if untried := _not_tried("llm", attempt, examples, ("LLM_API_KEY",)):
        return untried
    try:
        async with httpx.AsyncClient(timeout=settings.http_timeout_seconds) as client:
            response = await client.post(url, headers=headers, json=body)
    except httpx.HTTPError as exc:
        return _fail("llm", f"{attempt}: not reached ({type(exc).__name__})", "check LLM_BASE_URL")
    if response.is_success:
        return _ok("llm", f"{attempt}: answered")
    return _fail("llm", f"{attempt}: answered {response.status_code}", _llm_fix(response.status_code))


def _llm_fix(status: int) -> str:
    if status in (401, 403):
        return "check LLM_API_KEY"
    if status == 404:
        return "check LLM_BASE_URL and LLM_MODEL"
    return "check LLM_MODEL and the provider's status"


def _one_token_request(settings: Settings) -> tuple[str, dict[str, str], dict[str, Any]]:
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else ""
    body: dict[str, Any] = {
        "model": settings.llm_model,
        "max_tokens": 1,
        "messages": [{"role": "user", "content": "ping"}],
    }
    if settings.llm_provider == "anthropic":
        headers = {"x-api-key": key, "anthropic-version": "2023-06-01"}
        return settings.llm_url + "/v1/messages", headers, body
    # A local server (Ollama, vLLM, llama.cpp) may need no key: then no header at all, as the bot
    # sends none either (an empty "Bearer " is not even a valid header).
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return settings.llm_url + "/chat/completions", headers, body


async def _mcp(settings: Settings, examples: Examples) -> list[Check]:
    """One line per MCP server of MCP_CONFIG; none when it is unset (no MCP servers is normal)."""
    if settings.mcp_config is None:
        return []
    try:
        servers = load_mcp_config(settings.mcp_config, mcp_environ())
    except ConfigError as exc:
        detail = f"read {settings.mcp_config}: {exc.message.removeprefix('MCP_CONFIG: ')}"
        return [_fail("mcp", detail, "correct the file named by MCP_CONFIG, or unset MCP_CONFIG")]
    if not servers:
        return []
    async with _tool_lists(settings, examples) as tool_lists:
        with _quiet_mcp_logs():
            return list(await asyncio.gather(*(_mcp_server(server, tool_lists) for server in servers)))


@asynccontextmanager
async def _tool_lists(settings: Settings, examples: Examples) -> AsyncIterator[ToolLists | None]:
    """The servers' last tool lists, or None when the database is not usable (its line says why)."""
    if "DATABASE_URL" in examples:
        yield None
        return
    try:
        database = await Database.open(settings.database_url)
    except Exception:  # the database check reports it, with its fix
        yield None
        return
    try:
        yield ToolLists(database)
    finally:
        await database.close()


@contextmanager
def _quiet_mcp_logs() -> Iterator[None]:
    """The SDK logs a bad server's answer with a traceback; the check's line already says it."""
    loggers = [logging.getLogger(name) for name in ("mcp", "httpx2")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


async def _mcp_server(server: MCPServerConfig, tool_lists: ToolLists | None) -> Check:
    name = f"mcp:{server.name}"
    attempt = f"tools/list at {target(server)}"
    try:
        tools = await list_tools(server, timeout_seconds=MCP_TIMEOUT_SECONDS)
    except ToolListFailed as exc:
        return _fail(name, f"{attempt}: {_mcp_problem(exc)}", _mcp_fix(server, exc))
    detail = f"{attempt}: {_tool_kinds(server, tools)}"
    change = await _recent_change(tool_lists, server, tools)
    if change is None:
        return _ok(name, detail)
    detail += f"; tool list changed at {change.changed_at:%Y-%m-%d %H:%M} UTC: {change.summary()}"
    writes = _new_writes(server, tools, change)
    if not writes:
        return _ok(name, detail)  # a warning: the line says it, the exit code does not
    fix = (
        f"review the new write tool(s) {', '.join(writes)}: add them to deny of server {server.name!r} "
        "in MCP_CONFIG, or name the tools you accept in its allow (writes still wait for Approve)"
    )
    return _fail(name, detail, fix)


async def _recent_change(
    tool_lists: ToolLists | None, server: MCPServerConfig, tools: list[ToolInfo]
) -> ToolListChange | None:
    """The change of ``server``'s tool list seen now, or by anyone within ``_CHANGE_SHOWN_FOR``."""
    if tool_lists is None:
        return None
    try:
        change = await tool_lists.observe(server.name, tools) or await tool_lists.last(server.name)
    except Exception:  # the database check reports a database that does not work
        return None
    if change is None or utcnow() - change.changed_at > _CHANGE_SHOWN_FOR:
        return None
    return change


def _new_writes(server: MCPServerConfig, tools: list[ToolInfo], change: ToolListChange) -> list[str]:
    """The added tools that are writes and that no ``allow`` of the server names: nobody chose them."""
    if server.allow is not None:
        return []
    annotations = {tool.name: tool.annotations for tool in tools}
    return [name for name in change.added if tool_kind(server, name, annotations.get(name)) == "write"]


def _tool_kinds(server: MCPServerConfig, tools: list[ToolInfo]) -> str:
    """``3 read (a, b, c), 2 write (d, e), 1 filtered out``, and whether annotations were trusted."""
    by_kind: dict[ToolKind, list[str]] = {"read": [], "write": [], "filtered": []}
    for tool in tools:
        by_kind[tool_kind(server, tool.name, tool.annotations)].append(tool.name)
    text = f"{_counted('read', by_kind['read'])}, {_counted('write', by_kind['write'])}"
    text += f", {len(by_kind['filtered'])} filtered out"
    return text if server.trust_annotations else f"{text} (annotations not trusted)"


def _counted(kind: str, names: list[str]) -> str:
    if not names:
        return f"0 {kind}"
    shown = ", ".join(names[:_NAMES_SHOWN]) + (", …" if len(names) > _NAMES_SHOWN else "")
    return f"{len(names)} {kind} ({shown})"


def _mcp_problem(exc: ToolListFailed) -> str:
    if exc.reason == "timeout":
        return exc.detail if exc.detail.startswith("no answer") else f"no answer in time ({exc.detail})"
    if exc.reason == "not_started":
        return f"cannot start ({exc.detail})"
    if exc.reason == "protocol":
        return f"answered {exc.detail}" if exc.status else f"not a valid MCP answer ({exc.detail})"
    return f"{exc.reason} ({exc.detail})"


def _mcp_fix(server: MCPServerConfig, exc: ToolListFailed) -> str:
    where = f"server {server.name!r} in MCP_CONFIG"
    headers = sorted(server.transport.headers) if isinstance(server.transport, HTTPTransport) else []
    if exc.reason == "refused" and headers:
        return f"check the value of the {', '.join(headers)} header of {where}"
    if exc.reason == "refused":
        return f'add a header such as "Authorization": "Bearer ${{TOKEN}}" to {where}'
    if exc.reason == "not_started":
        return f"check command and cwd of {where}: the command must exist and be executable"
    if isinstance(server.transport, StdioTransport):
        return f"check command, args and env of {where}: they must start an MCP server on stdio"
    if exc.reason == "unreachable":
        return f"check the url of {where} or start the server"
    if exc.reason == "timeout":
        return f"check that the server is up and answering, or the url of {where}"
    return f"check the url of {where}: it must be the server's MCP endpoint (often ending in /mcp)"
