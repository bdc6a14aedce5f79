"""`chatops mcp` over real Streamable HTTP on loopback, driven by the official ``mcp`` client,
against the Jira and GitHub simulators."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx
import httpx2
import mcp
import pytest
from mcp.client.streamable_http import streamable_http_client

from bot.agent import TOOL_REGISTRY
from bot.agent.jira_tools import JiraIssueArgs
from bot.agent.tools import WRITE_TOOL_REGISTRY
from bot.config import Settings
from bot.errors import ConfigError, StartupError
from bot.mcp import READ_ONLY_INSTRUCTIONS, Endpoint, mcp_server
from bot.store import Store
from simulators.github import GitHubSimulator
from simulators.jira import JiraSimulator
from tests.bot.mcp.conftest import settings_of

TOKEN = "mcp-token-for-tests"
READS = {tool.name for tool in TOOL_REGISTRY}
WRITES = {tool.name for tool in WRITE_TOOL_REGISTRY}


@pytest.fixture
async def url(jira: JiraSimulator, github: GitHubSimulator) -> AsyncIterator[str]:
    """`chatops mcp`'s HTTP endpoint on a free loopback port, built from settings as the CLI does."""
    settings = Settings.load("mcp", **settings_of(jira, github))
    async with mcp_server(settings) as server:
        endpoint = Endpoint(server, token=TOKEN, host="127.0.0.1", port=0)
        yield await endpoint.start()
        await endpoint.stop()


@asynccontextmanager
async def connect(url: str, *, token: str = TOKEN, mode: str = "auto") -> AsyncIterator[mcp.Client]:
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as http:
        async with mcp.Client(streamable_http_client(url, http_client=http), mode=mode) as client:
            yield client


async def call(url: str, tool: str, arguments: dict[str, Any]) -> mcp.types.CallToolResult:
    async with connect(url) as client:
        return await client.call_tool(tool, arguments)


def text_of(result: mcp.types.CallToolResult) -> str:
    block = result.content[0]
    assert isinstance(block, mcp.types.TextContent)
    return block.text


async def test_without_the_token_the_endpoint_answers_401(url: str) -> None:
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    async with httpx.AsyncClient() as http:
        missing = await http.post(url, json=ping)
        wrong = await http.post(url, json=ping, headers={"Authorization": "Bearer not-the-token"})
    with pytest.raises(ExceptionGroup) as refused:
        async with connect(url, token="not-the-token"):
            pass

    assert missing.status_code == wrong.status_code == 401
    assert missing.json()["error"] == "unauthorized"
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert refused.group_contains(mcp.MCPError)


async def test_a_foreign_host_or_origin_is_refused_even_with_the_token(url: str) -> None:
    port = urlsplit(url).port
    headers = {
        "Authorization": f"Bearer {TOKEN}",
        "Accept": "application/json, text/event-stream",
    }
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    async with httpx.AsyncClient() as http:
        rebound = await http.post(url, json=ping, headers={**headers, "Host": f"evil.example:{port}"})
        other_port = await http.post(url, json=ping, headers={**headers, "Host": "127.0.0.1:1"})
        page = await http.post(url, json=ping, headers={**headers, "Origin": "https://evil.example"})

    assert rebound.status_code == other_port.status_code == 421
    assert page.status_code == 403


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_every_read_tool_is_listed_read_only_and_no_write_is(url: str, mode: str) -> None:
    async with connect(url, mode=mode) as client:
        tools = (await client.list_tools()).tools

    assert {tool.name for tool in tools} == READS
    assert not {tool.name for tool in tools} & WRITES
    for tool in tools:
        assert tool.annotations is not None, tool.name
        assert tool.annotations.read_only_hint is True, tool.name
        assert tool.annotations.open_world_hint is True, tool.name
        assert tool.description
    get_issue = next(tool for tool in tools if tool.name == "jira_get_issue")
    expected = JiraIssueArgs.model_json_schema()
    expected.pop("title")
    assert get_issue.input_schema == expected


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_the_instructions_say_writes_are_not_offered(url: str, mode: str) -> None:
    async with connect(url, mode=mode) as client:
        instructions = client.instructions

    assert instructions == READ_ONLY_INSTRUCTIONS
    assert "Writes" in READ_ONLY_INSTRUCTIONS and "MCP_APPROVAL_CHANNEL" in READ_ONLY_INSTRUCTIONS


async def test_a_jira_read_answers_with_the_issue(url: str) -> None:
    result = await call(url, "jira_get_issue", {"key": "ops-2"})  # the spec's model upper-cases it

    assert not result.is_error, text_of(result)
    assert result.structured_content is not None
    assert result.structured_content["key"] == "OPS-2"
    assert result.structured_content["summary"] == "Roll out payments v2 to all regions"
    assert "Roll out payments v2 to all regions" in text_of(result)


async def test_a_github_read_answers_with_the_pull_request(url: str) -> None:
    result = await call(url, "github_get_pull_request", {"repo": "acme/payments", "number": 38})

    assert not result.is_error, text_of(result)
    assert result.structured_content is not None
    assert result.structured_content["title"] == "Add payments v2 feature flag"


async def test_bad_arguments_and_upstream_errors_are_tool_errors(url: str) -> None:
    invalid = await call(url, "jira_get_issue", {"key": "not a key"})
    unknown = await call(url, "jira_get_issue", {"key": "OPS-9999"})

    assert invalid.is_error and text_of(invalid).startswith("invalid arguments for jira_get_issue: key:")
    assert unknown.is_error and text_of(unknown).startswith("jira_get_issue failed:")


async def test_a_taken_port_is_a_startup_error_naming_it(
    jira: JiraSimulator, github: GitHubSimulator
) -> None:
    settings = Settings.load("mcp", **settings_of(jira, github))
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        async with mcp_server(settings) as server:
            with pytest.raises(StartupError) as refused:
                await Endpoint(server, token=TOKEN, host="127.0.0.1", port=port).start()

    assert f"cannot listen on 127.0.0.1:{port}" in str(refused.value)
    assert "MCP_PORT" in str(refused.value)


async def test_a_read_is_a_run_of_the_client_in_the_store(
    url: str, jira: JiraSimulator, github: GitHubSimulator
) -> None:
    info = mcp.types.Implementation(name="cursor", version="1.0")
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        async with mcp.Client(streamable_http_client(url, http_client=http), client_info=info) as client:
            await client.call_tool("jira_get_issue", {"key": "OPS-2"})
            await client.call_tool("jira_get_issue", {"key": "OPS-9999"})

    store = await Store.open(Settings.load("mcp", **settings_of(jira, github)).database_url)
    try:
        conversation = await store.find_conversation("mcp", "cursor", "")
        assert conversation is not None
        runs = await store.runs(conversation)
        calls = [await store.tool_calls(run.id) for run in runs]
    finally:
        await store.close()
    assert [(run.trigger, run.user_id, run.status) for run in runs] == [
        ("mcp", "cursor", "succeeded"),
        ("mcp", "cursor", "failed"),
    ]
    assert [[(call.name, call.arguments, call.ok) for call in made] for made in calls] == [
        [("jira_get_issue", {"key": "OPS-2"}, True)],
        [("jira_get_issue", {"key": "OPS-9999"}, False)],
    ]


async def test_an_approval_channel_without_a_slack_token_is_a_config_error(
    jira: JiraSimulator, github: GitHubSimulator
) -> None:
    settings = Settings.load("mcp", mcp_approval_channel="C0APPROVALS", **settings_of(jira, github))

    with pytest.raises(ConfigError) as refused:
        async with mcp_server(settings):
            pass

    assert refused.value.variable == "SLACK_BOT_TOKEN"
    assert "MCP_APPROVAL_CHANNEL" in str(refused.value)
