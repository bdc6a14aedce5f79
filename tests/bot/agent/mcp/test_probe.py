from __future__ import annotations

import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.agent.mcp import HTTPTransport, MCPServerConfig, StdioTransport, ToolListFailed, list_tools
from bot.agent.mcp.probe import target
from simulators.mcp import MCPSimulator

STDIO_SERVER = Path(__file__).with_name("stdio_server.py")
SIMULATED_TOOLS = [
    "incidents_list",
    "incident_get",
    "flag_get",
    "incident_acknowledge",
    "incident_resolve",
    "flag_set",
]


def _http(url: str, headers: dict[str, str] | None = None) -> MCPServerConfig:
    transport = HTTPTransport(url=url, headers=headers or {})
    return MCPServerConfig(name="desk", transport=transport, trust_annotations=True)


def _stdio(command: str, *args: str, env: dict[str, str] | None = None) -> MCPServerConfig:
    transport = StdioTransport(command=command, args=list(args), env=env or {})
    return MCPServerConfig(name="local", transport=transport, trust_annotations=True)


@pytest.fixture
def free_port() -> Iterator[socket.socket]:
    """A bound loopback socket: nothing answers on its port until a test calls listen()."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock


async def test_every_tool_is_listed_with_its_annotations_in_camel_case() -> None:
    async with MCPSimulator() as sim:
        tools = await list_tools(_http(sim.url), timeout_seconds=10)
    assert [tool.name for tool in tools] == SIMULATED_TOOLS
    by_name = {tool.name: tool.annotations for tool in tools}
    assert by_name["incident_resolve"] is not None and by_name["incident_resolve"]["readOnlyHint"] is True
    assert by_name["flag_set"] == {
        "readOnlyHint": False,
        "destructiveHint": True,
        "idempotentHint": True,
        "openWorldHint": False,
    }


async def test_the_configured_headers_are_sent() -> None:
    async with MCPSimulator(required_token="desk-token") as sim:
        tools = await list_tools(_http(sim.url, {"Authorization": "Bearer desk-token"}), timeout_seconds=10)
    assert len(tools) == len(SIMULATED_TOOLS)


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}])
async def test_a_refused_token_is_a_refusal_with_its_status(headers: dict[str, str]) -> None:
    async with MCPSimulator(required_token="desk-token") as sim:
        with pytest.raises(ToolListFailed) as failed:
            await list_tools(_http(sim.url, headers), timeout_seconds=10)
    assert (failed.value.reason, failed.value.status) == ("refused", 401)
    assert "wrong" not in str(failed.value)


async def test_nothing_listening_is_unreachable(free_port: socket.socket) -> None:
    url = f"http://127.0.0.1:{free_port.getsockname()[1]}/mcp"
    with pytest.raises(ToolListFailed) as failed:
        await list_tools(_http(url), timeout_seconds=10)
    assert (failed.value.reason, failed.value.detail) == ("unreachable", "ConnectError")


async def test_a_server_that_never_answers_times_out_in_time(free_port: socket.socket) -> None:
    free_port.listen()  # connections are accepted by the kernel, and never answered
    started = time.monotonic()
    with pytest.raises(ToolListFailed) as failed:
        await list_tools(_http(f"http://127.0.0.1:{free_port.getsockname()[1]}/mcp"), timeout_seconds=1)
    assert failed.value.reason == "timeout"
    assert time.monotonic() - started < 5


async def test_a_stdio_server_is_started_with_its_env() -> None:
    server = _stdio(sys.executable, str(STDIO_SERVER), env={"EXTRA_TOOL": "from_env"})
    tools = await list_tools(server, timeout_seconds=20)
    assert [(tool.name, (tool.annotations or {}).get("readOnlyHint")) for tool in tools] == [
        ("greet", True),
        ("shout", False),
        ("from_env", None),
    ]


async def test_a_command_that_does_not_exist_cannot_start(tmp_path: Path) -> None:
    with pytest.raises(ToolListFailed) as failed:
        await list_tools(_stdio(str(tmp_path / "no-such-server")), timeout_seconds=10)
    assert failed.value.reason == "not_started"


async def test_a_command_that_does_not_speak_mcp_is_a_protocol_error() -> None:
    server = _stdio(sys.executable, "-c", "print('hello, not JSON-RPC')")
    with pytest.raises(ToolListFailed) as failed:
        await list_tools(server, timeout_seconds=10)
    assert failed.value.reason == "protocol"


def test_the_target_shows_no_credentials_query_or_arguments() -> None:
    assert target(_http("https://bot:s3cret@mcp.example.test:8443/mcp?key=s3cret")) == (
        "https://mcp.example.test:8443/mcp"
    )
    assert target(_stdio("npx", "server", "--token", "s3cret")) == "command npx"


async def test_each_tool_comes_with_its_description_and_input_schema() -> None:
    async with MCPSimulator() as sim:
        first = {tool.name: tool for tool in await list_tools(_http(sim.url), timeout_seconds=10)}
        sim.tool_list_version = 2
        second = {tool.name: tool for tool in await list_tools(_http(sim.url), timeout_seconds=10)}
    assert first["incident_get"].description == "Get one incident by key."
    assert second["incident_get"].description == "Get one incident by key, with its notes."
    schema = first["flag_set"].input_schema
    assert schema["type"] == "object" and set(schema["properties"]) == {"name", "enabled"}
