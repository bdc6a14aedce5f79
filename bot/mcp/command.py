"""`chatops mcp`: the tools over Streamable HTTP on MCP_HOST:MCP_PORT, or over stdio.

HTTP refuses to start without MCP_SERVER_TOKEN (anyone reaching the port would act with the bot's
Jira and GitHub credentials); ``--stdio`` serves the one client that started the process, which
needs no token. The Jira and GitHub clients are built as `chatops serve` builds them, on the same
database (every call is a run there). With MCP_APPROVAL_CHANNEL the writes are served too: their
cards are posted with SLACK_BOT_TOKEN, and `chatops serve` takes the clicks.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from datetime import timedelta
from importlib import metadata
from typing import Any

from mcp.server import MCPServer
from mcp.server.mcpserver.tools.base import Tool

from bot.agent import WriteToolSpec, tool_specs, write_specs
from bot.config import Settings
from bot.errors import ConfigError, StartupError
from bot.lookup import LinkPolicy
from bot.mcp.card import SlackCards
from bot.mcp.endpoint import Endpoint
from bot.mcp.journal import CallJournal
from bot.mcp.requests import WAIT_SECONDS, WriteRequests
from bot.mcp.server import build_server
from bot.mcp.writes import write_tools
from bot.services import github_client, jira_client
from bot.slack.delivery import DELIVERY_ERRORS, SlackConnection, SlackDelivery, error_code
from bot.store import Approvals, Store

log = logging.getLogger(__name__)


async def run_mcp(settings: Settings, *, stdio: bool = False) -> None:
    """Serve until Ctrl-C or SIGTERM (HTTP) or until the client closes stdin (``stdio``)."""
    token = None if stdio else server_token(settings)
    async with mcp_server(settings) as server:
        if token is None:
            await server.run_stdio_async()
        else:
            await _serve_http(Endpoint(server, token=token, host=settings.mcp_host, port=settings.mcp_port))


@asynccontextmanager
async def mcp_server(settings: Settings, *, wait_seconds: float = WAIT_SECONDS) -> AsyncIterator[MCPServer]:
    """The MCP server of the configured Jira and GitHub tools (writes only with an approval
    channel); its clients, Slack connection and store close after. ``wait_seconds``: how long a
    write call waits for its approval before it answers pending."""
    async with AsyncExitStack() as stack:
        jira = jira_client(settings)
        if jira is not None:
            stack.push_async_callback(jira.aclose)
        github = github_client(settings)
        if github is not None:
            stack.push_async_callback(github.aclose)
        specs = tool_specs(jira, github)
        if not specs:
            raise StartupError(
                "chatops mcp has no tools to serve",
                "configure Jira (JIRA_BASE_URL and its credentials) or GitHub (GITHUB_TOKEN)",
            )
        store = await Store.open(settings.database_url)
        stack.push_async_callback(store.close)
        journal = CallJournal(store)
        writes = await _write_tools(settings, stack, store, journal, write_specs(jira, github), wait_seconds)
        yield build_server(specs, journal=journal, writes=writes, version=_version())


async def _write_tools(
    settings: Settings,
    stack: AsyncExitStack,
    store: Store,
    journal: CallJournal,
    specs: list[WriteToolSpec[Any, Any]],
    wait_seconds: float,
) -> list[Tool]:
    """The write tools and approval_status, when there is a channel to approve them in."""
    channel = settings.mcp_approval_channel
    if channel is None or not specs:
        return []
    slack = await _slack(settings)
    stack.push_async_callback(slack.aclose)
    links = LinkPolicy.for_sites(jira_base_url=settings.jira_base_url, github_api_url=settings.github_api_url)
    cards = SlackCards(SlackDelivery(slack.client, team=str(slack.identity.team_id or "")), links)
    approvals = Approvals(store, ttl=timedelta(minutes=settings.approval_ttl_minutes))
    requests = WriteRequests(approvals, journal, cards, channel=channel, wait_seconds=wait_seconds)
    return write_tools(specs, requests, journal)


async def _slack(settings: Settings) -> SlackConnection:
    token = settings.slack_bot_token.get_secret_value().strip() if settings.slack_bot_token else ""
    if not token.startswith("xoxb-"):
        raise ConfigError(
            "SLACK_BOT_TOKEN",
            "is required (xoxb-...) for chatops mcp with MCP_APPROVAL_CHANNEL: it posts the approval cards",
        )
    try:
        return await SlackConnection.open(token, settings.slack_api_url)
    except DELIVERY_ERRORS as exc:
        raise StartupError(
            f"chatops mcp cannot reach Slack to post approval cards ({error_code(exc)})",
            "check SLACK_BOT_TOKEN and SLACK_API_URL, or unset MCP_APPROVAL_CHANNEL to serve reads only",
        ) from None


def server_token(settings: Settings) -> str:
    """MCP_SERVER_TOKEN, which HTTP requires."""
    token = settings.mcp_server_token.get_secret_value().strip() if settings.mcp_server_token else ""
    if not token:
        raise ConfigError(
            "MCP_SERVER_TOKEN",
            "is required for chatops mcp over HTTP (a long random string; or use --stdio)",
        )
    return token


async def _serve_http(endpoint: Endpoint) -> None:
    # The handlers go in before the port opens: a SIGTERM as soon as it answers stops us cleanly.
    with _stop_on_signals() as stop:
        try:
            url = await endpoint.start()
            log.info("serving MCP on %s", url)
            await endpoint.serve_until(stop)
            log.info("stopping the MCP endpoint")
        finally:
            await endpoint.stop()


@contextmanager
def _stop_on_signals() -> Iterator[asyncio.Event]:
    """An event set by Ctrl-C or SIGTERM, for as long as the block runs."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    try:
        yield stop
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)


def _version() -> str:
    try:
        return metadata.version("chatops-bot")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return ""
