"""The agent's watch on MCP tool lists, against the MCP simulator and the store on each backend."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from bot.agent.mcp import HTTPTransport, MCPServerConfig, ToolInfo, list_tools
from bot.agent.mcp.watch import ToolListWatch
from bot.metrics import Metrics
from bot.store import ToolLists
from bot.store.models import MCPToolList
from bot.store.store import Store
from simulators.mcp import MCPSimulator


async def _tools(sim: MCPSimulator) -> list[ToolInfo]:
    server = MCPServerConfig(name="desk", transport=HTTPTransport(url=sim.url), trust_annotations=True)
    return await list_tools(server, timeout_seconds=10)


async def _seen_at(store: Store) -> object:
    async with store.reading() as session:
        row = await session.get(MCPToolList, "desk")
    return None if row is None else row.seen_at


def _changes(metrics: Metrics) -> float:
    return metrics.registry.get_sample_value("chatops_mcp_tool_list_changes_total", {"server": "desk"}) or 0.0


async def test_a_changed_list_is_logged_counted_and_recorded_once(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    metrics = Metrics()
    watch = ToolListWatch(ToolLists(store), metrics)
    async with MCPSimulator() as sim:
        assert await watch.seen("desk", await _tools(sim)) is None
        recorded = await _seen_at(store)
        assert recorded is not None
        # The same list again: not even a write to the database.
        assert await watch.seen("desk", await _tools(sim)) is None
        assert await _seen_at(store) == recorded

        sim.tool_list_version = 2
        with caplog.at_level(logging.WARNING, logger="bot.agent.mcp.watch"):
            change = await watch.seen("desk", await _tools(sim))
            assert await watch.seen("desk", await _tools(sim)) is None
        # Another process that meets the new list finds it recorded already.
        other = ToolListWatch(ToolLists(store), metrics)
        assert await other.seen("desk", await _tools(sim)) is None

    assert change is not None and (change.added, change.removed, change.changed) == (
        ("flag_delete",),
        (),
        ("incident_get",),
    )
    warnings = [record.getMessage() for record in caplog.records]
    assert warnings == [
        "MCP server 'desk' changed its tool list since last seen: +flag_delete, ~incident_get"
    ]
    assert _changes(metrics) == 1


async def test_a_database_that_fails_does_not_fail_the_run(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    async with store.writing() as session:
        await session.exec(sa.text("DROP TABLE mcp_tool_lists"))  # type: ignore[call-overload]
    watch = ToolListWatch(ToolLists(store))
    async with MCPSimulator() as sim:
        with caplog.at_level(logging.WARNING, logger="bot.agent.mcp.watch"):
            assert await watch.seen("desk", await _tools(sim)) is None
    assert [record.getMessage().split(" (")[0] for record in caplog.records] == [
        "could not record the tool list of MCP server 'desk'"
    ]
