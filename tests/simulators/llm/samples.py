"""What the planner's and answer writer's tests feed the SIMULATED model: the bot's tools as they
reach the simulator on the wire (``offered_tools.json``: names, descriptions and JSON schemas of the
read and write tools), the SIMULATED incident MCP server's tools as the bot offers them
(``MCP_TOOLS``), and tool results as the bot fences them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from pathlib import Path

from simulators.llm import OfferedTool
from simulators.mcp import MCPSimulator

ALL_TOOLS = [
    OfferedTool.from_json_schema(tool["name"], tool["description"], tool["parameters"])
    for tool in json.loads((Path(__file__).parent / "offered_tools.json").read_text("utf-8"))
]


def only(*names: str) -> list[OfferedTool]:
    return [tool for tool in ALL_TOOLS if tool.name in names]


OPS_2 = {
    "key": "OPS-2",
    "summary": "Roll out payments v2 to all regions",
    "status": "Blocked",
    "assignee": "Fox Mulder",
    "description": "Rollout is paused.\n- Tracking PR: https://github.com/acme/payments/pull/42",
    "links": [
        {
            "relation": "is blocked by",
            "key": "OPS-1",
            "summary": "Fix duplicate charges",
            "status": "In Progress",
        }
    ],
}
PR_42 = {
    "repo": "acme/payments",
    "number": 42,
    "title": "Keep idempotency key on payment retries",
    "state": "open",
    "merged": False,
    "author": "dscully",
    "checks": [
        {"name": "unit-tests", "status": "completed", "conclusion": "success"},
        {"name": "integration-tests", "status": "completed", "conclusion": "failure"},
    ],
}


def fenced(data: Mapping[str, object]) -> str:
    return f'<untrusted-data source="x" tool="y">\n{json.dumps(data)}\n</untrusted-data>'


def _mcp_tools() -> list[OfferedTool]:
    """The SIMULATED incident MCP server's tools as the bot offers them: prefixed with the server's
    name ("incidents"), the server's descriptions fenced as data, its schemas as they are."""
    listed = asyncio.run(MCPSimulator().server.list_tools())
    offered = []
    for tool in listed:
        name = f"incidents_{tool.name}"
        described = (
            f'<untrusted-data source="mcp:incidents" tool="{name}">\n{tool.description}\n</untrusted-data>'
        )
        offered.append(OfferedTool.from_json_schema(name, described, tool.input_schema))
    return offered


MCP_TOOLS = _mcp_tools()
