"""`chatops mcp`: the read tools over Streamable HTTP on MCP_HOST:MCP_PORT, or over stdio.

HTTP refuses to start without MCP_SERVER_TOKEN (anyone reaching the port would act with the bot's
Jira and GitHub credentials); ``--stdio`` serves the one client that started the process, which
needs no token. The Jira and GitHub clients are built as `chatops serve` builds them.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from importlib import metadata

from mcp.server import MCPServer

from bot.agent import tool_specs
from bot.config import Settings
from bot.errors import ConfigError, StartupError
from bot.mcp.endpoint import Endpoint
from bot.mcp.server import build_server
from bot.services import github_client, jira_client
from integrations.github import GitHubClient
from integrations.jira import JiraClient

log = logging.getLogger(__name__)


async def run_mcp(settings: Settings, *, stdio: bool = False) -> None:
    """Serve until Ctrl-C or SIGTERM (HTTP) or until the client closes stdin (``stdio``)."""
    token = None if stdio else server_token(settings)
    async with read_server(settings) as server:
        if token is None:
            await server.run_stdio_async()
        else:
            await _serve_http(Endpoint(server, token=token, host=settings.mcp_host, port=settings.mcp_port))


@asynccontextmanager
async def read_server(settings: Settings) -> AsyncIterator[MCPServer]:
    """The MCP server of the configured Jira and GitHub read tools; their clients close after."""
    jira: JiraClient | None = None
    github: GitHubClient | None = None
    try:
        jira = jira_client(settings)
        github = github_client(settings)
        specs = tool_specs(jira, github)
        if not specs:
            raise StartupError(
                "chatops mcp has no tools to serve",
                "configure Jira (JIRA_BASE_URL and its credentials) or GitHub (GITHUB_TOKEN)",
            )
        yield build_server(specs, version=_version())
    finally:
        for client in (github, jira):
            if client is not None:
                await client.aclose()


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
            log.info("serving MCP (read tools only) on %s", url)
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
