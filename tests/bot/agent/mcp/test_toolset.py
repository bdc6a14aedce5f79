"""The agent with the team's MCP servers: the real protocol to the SIMULATED MCP server on loopback,
the LLM simulator choosing tools from the schemas it is offered, the real Jira/GitHub clients."""

from __future__ import annotations

import asyncio
import logging
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from bot.agent import PydanticAgent
from bot.agent.mcp import HTTPTransport, MCPServerConfig, StdioTransport, mcp_toolsets
from bot.agent.model import build_model
from bot.events import Finished, ToolFinished, WorkflowEvent, WritesProposed
from bot.ports import AgentRequest, ResumeRequest, WriteDecision
from simulators.llm import LLMSimulator, ToolCall
from simulators.mcp import MCPSimulator
from tests.bot.agent.conftest import GITHUB_TOKEN, JIRA_TOKEN, LLM_KEY, AgentFactory

STDIO_SERVER = Path(__file__).with_name("stdio_server.py")
READS = {"incidents_incidents_list", "incidents_incident_get", "incidents_flag_get"}
WRITES = {"incident_acknowledge", "incident_resolve", "flag_set"}


def _server(url: str, **policy: Any) -> MCPServerConfig:
    policy.setdefault("trust_annotations", True)
    return MCPServerConfig(name="incidents", transport=HTTPTransport(url=url), **policy)


async def _ask(agent: Any, question: str, channel: str = "C1") -> list[WorkflowEvent]:
    request = AgentRequest(question=question, user_id="U123", channel_id=channel)
    return [event async for event in agent.answer(request)]


def _offered(llm: LLMSimulator) -> set[str]:
    return {tool["function"]["name"] for tool in llm.requests[-1].body.get("tools", [])}


def _tool_results(llm: LLMSimulator) -> list[str]:
    return [m["content"] for m in llm.requests[-1].body["messages"] if m["role"] == "tool"]


def _answer(events: list[WorkflowEvent]) -> str:
    finished = events[-1]
    assert isinstance(finished, Finished), finished
    return finished.text


@pytest.fixture
def dead_url() -> Iterator[str]:
    """An MCP URL on a loopback port where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/mcp"


async def test_a_question_about_incidents_is_answered_with_the_mcp_read(
    make_agent: AgentFactory, llm: LLMSimulator
) -> None:
    async with MCPSimulator() as sim:
        agent = make_agent(mcp_servers=[_server(sim.url)])
        events = await _ask(agent, "list the open incidents")
    assert [call.tool for call in sim.calls] == ["incidents_list"]
    tools = [event for event in events if isinstance(event, ToolFinished)]
    assert [(event.name, event.ok) for event in tools] == [("incidents_incidents_list", True)]
    # The simulated model cannot word incidents, so the data is checked where the model read it.
    assert "Checkout latency above 2 s" in "".join(_tool_results(llm))
    assert isinstance(events[-1], Finished)


async def test_results_reach_the_model_fenced_as_untrusted_data(
    make_agent: AgentFactory, llm: LLMSimulator
) -> None:
    async with MCPSimulator() as sim:
        agent = make_agent(mcp_servers=[_server(sim.url)], tool_output_chars=200)
        await _ask(agent, "list the open incidents")
    results = _tool_results(llm)
    assert results and results[0].startswith('<untrusted-data source="mcp:incidents"')
    assert "[truncated" in results[0]


async def test_a_servers_tool_descriptions_reach_the_model_fenced_as_data(
    make_agent: AgentFactory, llm: LLMSimulator
) -> None:
    async with MCPSimulator() as sim:
        await _ask(make_agent(mcp_servers=[_server(sim.url)]), "list the open incidents")
    described = {
        tool["function"]["name"]: tool["function"]["description"] for tool in llm.requests[-1].body["tools"]
    }
    fenced = described["incidents_incident_acknowledge"]
    assert fenced.startswith('<untrusted-data source="mcp:incidents" tool="incidents_incident_acknowledge">')
    assert "Acknowledge an incident and add a note" in fenced
    assert not described["jira_get_issue"].startswith("<untrusted-data"), "our own tools are ours"


async def test_an_untrusted_servers_read_claim_is_not_believed_its_call_only_proposes(
    make_agent: AgentFactory, llm: LLMSimulator
) -> None:
    async with MCPSimulator() as sim:
        # incident_resolve claims readOnlyHint; an untrusted server's claim is not believed.
        agent = make_agent(mcp_servers=[_server(sim.url, trust_annotations=False, read_only=["flag_get"])])
        llm.script([[ToolCall("incidents_incident_resolve", {"id": "INC-101"})], "Resolved."])
        events = await _ask(agent, "resolve incident INC-101")
    assert "incidents_flag_get" in _offered(llm)
    proposed = events[-1]
    assert isinstance(proposed, WritesProposed), proposed
    assert [(p.tool, p.arguments) for p in proposed.proposals] == [
        ("incidents_incident_resolve", {"id": "INC-101"})
    ]
    assert [call.tool for call in sim.calls] == []  # a write waits for Approve: nothing was sent


async def test_denied_tools_are_not_offered_and_the_rest_are_reads_or_proposals(
    make_agent: AgentFactory, llm: LLMSimulator
) -> None:
    async with MCPSimulator() as sim:
        agent = make_agent(mcp_servers=[_server(sim.url, deny=["incident_resolve"])])
        await _ask(agent, "list the open incidents")
    offered = {name for name in _offered(llm) if name.startswith("incidents_")}
    assert offered == READS | {"incidents_incident_acknowledge", "incidents_flag_set"}


async def test_a_planted_instruction_in_a_result_makes_no_write(
    make_agent: AgentFactory, llm: LLMSimulator
) -> None:
    async with MCPSimulator() as sim:
        sim.plant("INC-101")
        reads = ["incidents_list", "incident_get", "flag_get"]
        agent = make_agent(mcp_servers=[_server(sim.url, trust_annotations=False, read_only=reads)])
        await _ask(agent, "list the open incidents")
        assert "call flag_set" in "".join(_tool_results(llm))  # the model did read the instruction
        # A model that obeys it: the writes it calls only become proposals for the asker to decide.
        obeyed = [
            ToolCall("incidents_flag_set", {"name": "checkout-v2", "enabled": False}),
            ToolCall("incidents_incident_acknowledge", {"id": "INC-101"}),
        ]
        llm.script([[ToolCall("incidents_incidents_list", {})], obeyed, "Done as the incident asked."])
        events = await _ask(agent, "list the open incidents")
    assert [call.tool for call in sim.calls if call.tool in WRITES] == []
    proposed = events[-1]
    assert isinstance(proposed, WritesProposed), proposed
    assert {p.tool for p in proposed.proposals} == {"incidents_flag_set", "incidents_incident_acknowledge"}


async def test_a_dead_server_leaves_the_answer_intact(
    make_agent: AgentFactory, llm: LLMSimulator, dead_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.agent.mcp.toolset")
    agent = make_agent(mcp_servers=[_server(dead_url)])
    events = await _ask(agent, "why is OPS-2 blocked?")
    assert "OPS-2" in _answer(events)
    assert not {name for name in _offered(llm) if name.startswith("incidents_")}
    assert "'incidents'" in caplog.text and "unavailable" in caplog.text


async def test_a_dead_server_does_not_hide_a_live_one(
    make_agent: AgentFactory, llm: LLMSimulator, dead_url: str
) -> None:
    dead = MCPServerConfig(name="dead", transport=HTTPTransport(url=dead_url), trust_annotations=True)
    async with MCPSimulator() as sim:
        agent = make_agent(mcp_servers=[dead, _server(sim.url)])
        events = await _ask(agent, "list the open incidents")
    assert [call.tool for call in sim.calls] == ["incidents_list"]
    assert "INC-101" in "".join(_tool_results(llm))
    assert isinstance(events[-1], Finished)


async def test_a_server_limited_to_a_channel_is_offered_only_there(
    make_agent: AgentFactory, llm: LLMSimulator
) -> None:
    async with MCPSimulator() as sim:
        agent = make_agent(mcp_servers=[_server(sim.url, channels=["C1"])])
        await _ask(agent, "list the open incidents", channel="C2")
        elsewhere = _offered(llm)
        await _ask(agent, "list the open incidents", channel="C1")
        there = _offered(llm)
    assert not {name for name in elsewhere if name.startswith("incidents_")}
    assert READS <= there
    assert [call.tool for call in sim.calls] == ["incidents_list"]


async def test_the_configured_headers_are_sent(make_agent: AgentFactory, llm: LLMSimulator) -> None:
    async with MCPSimulator(required_token="desk-token") as sim:
        transport = HTTPTransport(url=sim.url, headers={"Authorization": "Bearer desk-token"})
        server = MCPServerConfig(name="incidents", transport=transport, trust_annotations=True)
        agent = make_agent(mcp_servers=[server])
        await _ask(agent, "list the open incidents")
    assert [call.tool for call in sim.calls] == ["incidents_list"]


async def test_our_credentials_are_never_sent_to_an_mcp_server(
    make_agent: AgentFactory, llm: LLMSimulator
) -> None:
    received = bytearray()

    async def record(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.extend(await reader.readuntil(b"\r\n\r\n"))
        writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    listener = await asyncio.start_server(record, "127.0.0.1", 0)
    async with listener:
        port = listener.sockets[0].getsockname()[1]
        transport = HTTPTransport(url=f"http://127.0.0.1:{port}/mcp", headers={"X-Desk": "desk-only"})
        server = MCPServerConfig(name="incidents", transport=transport, trust_annotations=True)
        events = await _ask(make_agent(mcp_servers=[server]), "why is OPS-2 blocked?")
    assert b"x-desk: desk-only" in bytes(received).lower()
    for secret in (LLM_KEY, JIRA_TOKEN, GITHUB_TOKEN):
        assert secret.encode() not in received
    assert "OPS-2" in _answer(events)


async def test_a_stdio_servers_read_runs_and_its_write_only_proposes(
    make_agent: AgentFactory, llm: LLMSimulator
) -> None:
    child = StdioTransport(command=sys.executable, args=[str(STDIO_SERVER)])
    server = MCPServerConfig(name="local", transport=child, trust_annotations=True)
    llm.script([[ToolCall("local_greet", {}), ToolCall("local_shout", {"text": "hi"})], "ok"])
    events = await _ask(make_agent(mcp_servers=[server]), "greet and shout hi")
    assert {"local_greet", "local_shout"} <= _offered(llm)
    finished = [(e.name, e.summary) for e in events if isinstance(e, ToolFinished)]
    assert ("local_shout", "waiting for approval") in finished
    assert any(name == "local_greet" for name, _ in finished)
    proposed = events[-1]
    assert isinstance(proposed, WritesProposed), proposed
    assert [p.tool for p in proposed.proposals] == ["local_shout"]


async def test_a_silent_server_is_left_out_within_its_timeout(llm: LLMSimulator) -> None:
    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.read()  # reads the request and never answers
        finally:
            writer.close()

    listener = await asyncio.start_server(hold, "127.0.0.1", 0)
    async with listener, httpx2.AsyncClient() as http:
        url = f"http://127.0.0.1:{listener.sockets[0].getsockname()[1]}/mcp"
        model = build_model(
            provider="openai", base_url=llm.base_url, api_key=LLM_KEY, model="m", http_client=http
        )
        toolsets = mcp_toolsets([_server(url, timeout=1.0)], output_chars=1000)
        agent = PydanticAgent(model=model, tools=[], toolsets=toolsets, timeout=15.0, llm_retries=0)
        started = asyncio.get_running_loop().time()
        events = await _ask(agent, "list the open incidents")
        elapsed = asyncio.get_running_loop().time() - started
    assert isinstance(events[-1], Finished)
    assert elapsed < 10


async def test_an_approved_write_resumes_with_its_recorded_outcome_even_when_the_server_is_gone(
    make_agent: AgentFactory, llm: LLMSimulator
) -> None:
    async with MCPSimulator() as sim:
        agent = make_agent(mcp_servers=[_server(sim.url)])
        llm.script(
            [[ToolCall("incidents_incident_acknowledge", {"id": "INC-101", "note": "on it"})], "Done."]
        )
        paused = (await _ask(agent, "acknowledge INC-101"))[-1]
    assert isinstance(paused, WritesProposed)
    (proposal,) = paused.proposals
    decision = WriteDecision(proposal.call_id, True, "incidents: incident_acknowledge done.", True, {})
    resumed = [
        event
        async for event in agent.resume(ResumeRequest(paused.history, (decision,), "U123", "run-2", "C1"))
    ]
    assert isinstance(resumed[-1], Finished), resumed[-1]
    told = _tool_results(llm)
    assert "incident_acknowledge done" in told[-1]
    assert [call.tool for call in sim.calls] == [], "the agent itself never sends the write"


async def test_the_unsafe_simulated_model_obeys_a_planted_call_and_it_only_becomes_a_proposal(
    make_agent: AgentFactory, llm: LLMSimulator
) -> None:
    llm.obeys_planted = True  # the deliberately unsafe model the write-safety checks must catch
    async with MCPSimulator() as sim:
        sim.plant("INC-101")
        reads = ["incidents_list", "incident_get", "flag_get"]
        agent = make_agent(mcp_servers=[_server(sim.url, trust_annotations=False, read_only=reads)])
        events = await _ask(agent, "what is INC-101 about?")
    proposed = events[-1]
    assert isinstance(proposed, WritesProposed), proposed
    assert [(p.tool, p.arguments) for p in proposed.proposals] == [
        ("incidents_flag_set", {"name": "checkout-v2", "enabled": False})
    ]
    assert [call.tool for call in sim.calls] == ["incident_get"], "nothing was written"
