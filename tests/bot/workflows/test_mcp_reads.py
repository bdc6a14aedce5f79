"""MCP_CONFIG wired end to end: ``build_services`` loads the file, and a question asked through
``Intake`` (a durable run) reaches the SIMULATED MCP server only in the channels the server is
configured for, where its reads run and its writes are offered only as proposals; the LLM
simulator picks the tools from the schemas it is offered."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.events import Finished, ToolStarted
from bot.ports import Origin, Sink, SinkFactory
from bot.services import Services, build_services
from bot.workflows.intake import Inquiry
from simulators.llm import LLMSimulator
from simulators.mcp import MCPSimulator
from tests.recording_sink import RecordingSink

THREAD = "1700000000.000100"


class Edge:
    """Renders every run into one recording sink."""

    def __init__(self) -> None:
        self.sink = RecordingSink()

    def sinks(self, origin: Origin) -> SinkFactory:
        def build(run_id: str) -> Sink:
            return self.sink

        return build

    async def retire(self, origin: Origin, run_id: str) -> None:
        return None


@pytest.fixture
async def sim() -> AsyncIterator[MCPSimulator]:
    async with MCPSimulator() as simulator:
        yield simulator


@pytest.fixture
async def services(
    sim: MCPSimulator, llm: LLMSimulator, database_url: str, tmp_path: Path
) -> AsyncIterator[Services]:
    config = {"mcpServers": {"incidents": {"url": sim.url, "channels": ["C1"]}}}
    (tmp_path / "mcp.json").write_text(json.dumps(config))
    settings = Settings.load(
        "console", database_url=database_url, llm_base_url=llm.base_url, mcp_config=tmp_path / "mcp.json"
    )
    built = await build_services(settings)
    yield built
    await built.aclose()


async def _ask(services: Services, edge: Edge, channel: str) -> None:
    origin = Origin("chat", "T1", channel, THREAD, "U1")
    inquiry = Inquiry("T1", channel, THREAD, "U1", "list the open incidents", "mention")
    await services.intake.accept(inquiry, origin)
    await services.runs.wait_idle()


async def test_the_configured_server_is_used_only_in_its_channel(
    services: Services, sim: MCPSimulator, llm: LLMSimulator
) -> None:
    edge = Edge()
    services.runs.route("chat", edge)
    await services.runs.start()

    await _ask(services, edge, "C2")
    assert sim.calls == []
    assert isinstance(edge.sink.terminal, Finished)

    await _ask(services, edge, "C1")
    assert [call.tool for call in sim.calls] == ["incidents_list"]
    started = [event.summary for event in edge.sink.events if isinstance(event, ToolStarted)]
    assert started[-1].startswith("incidents_incidents_list("), started  # not "unknown tool …"
    offered = {tool["function"]["name"] for tool in llm.requests[-1].body["tools"]}
    assert {"incidents_incidents_list", "incidents_flag_get"} <= offered
    assert "incidents_flag_set" in offered, "offered as a proposal: it runs only after Approve"
    assert [call.tool for call in sim.calls] == ["incidents_list"], "no write was sent"
