"""`chatops mcp` as a process: over stdio for the official client, and over HTTP until SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys

import mcp
from mcp.client.stdio import StdioServerParameters

from bot.agent import TOOL_REGISTRY
from simulators.github import GitHubSimulator
from simulators.jira import JiraSimulator
from tests.bot.mcp.conftest import upstreams
from tests.bot.mcp.test_server import text_of

READS = {tool.name for tool in TOOL_REGISTRY}


def environment(jira: JiraSimulator, github: GitHubSimulator, **more: str) -> dict[str, str]:
    """Nothing inherited but PATH: the upstreams are the simulators."""
    return {"PATH": os.environ.get("PATH", ""), "LOG_LEVEL": "WARNING", **upstreams(jira, github), **more}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_stdio_serves_the_tools_without_a_token(jira: JiraSimulator, github: GitHubSimulator) -> None:
    env = environment(jira, github)
    server = StdioServerParameters(command=sys.executable, args=["-m", "bot", "mcp", "--stdio"], env=env)
    async with mcp.Client(server) as client:
        tools = (await client.list_tools()).tools
        result = await client.call_tool("jira_get_issue", {"key": "OPS-2"})

    assert {tool.name for tool in tools} == READS
    assert not result.is_error and "Roll out payments v2" in text_of(result)


async def test_sigterm_stops_the_http_server_cleanly(jira: JiraSimulator, github: GitHubSimulator) -> None:
    port = free_port()
    env = environment(jira, github, MCP_SERVER_TOKEN="token", MCP_PORT=str(port))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "mcp", env=env, stderr=asyncio.subprocess.PIPE
    )
    try:
        await asyncio.wait_for(_until_listening(port), 30)
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 15)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    assert process.returncode == 0, stderr.decode()
    assert "Traceback" not in stderr.decode()


async def _until_listening(port: int) -> None:
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.close()
        await writer.wait_closed()
        return
