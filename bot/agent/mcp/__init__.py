"""The team's MCP servers (``MCP_CONFIG``): which servers, how to reach them, and which of their
tools the agent may call, where, and whether a call is a read or a write.

Rule: the server list is checked once, at start-up, and is data (``config``); only ``probe``
connects to a server (with the ``mcp`` SDK, to list its tools); nothing here imports pydantic-ai.
A tool is a write unless the configuration says it is a read (``read_only``), or a trusted
server annotates it ``readOnlyHint``; every write waits for Approve like ours.
"""

from __future__ import annotations

from bot.agent.mcp.config import (
    HTTPTransport,
    MCPServerConfig,
    StdioTransport,
    ToolKind,
    load_mcp_config,
    tool_kind,
    usable_in,
)
from bot.agent.mcp.probe import ToolInfo, ToolListFailed, list_tools, target

__all__ = [
    "HTTPTransport",
    "MCPServerConfig",
    "StdioTransport",
    "ToolInfo",
    "ToolKind",
    "ToolListFailed",
    "list_tools",
    "load_mcp_config",
    "target",
    "tool_kind",
    "usable_in",
]
