"""The team's MCP servers (``MCP_CONFIG``): which servers, how to reach them, and which of their
tools the agent may call, where, and whether a call is a read or a write.

Rule: the server list is checked once, at start-up, and is data: nothing here connects to a
server or imports pydantic-ai or the ``mcp`` SDK. A tool is a write unless the configuration
says it is a read (``read_only``), or a trusted server annotates it ``readOnlyHint``; every write
waits for Approve like ours.
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

__all__ = [
    "HTTPTransport",
    "MCPServerConfig",
    "StdioTransport",
    "ToolKind",
    "load_mcp_config",
    "tool_kind",
    "usable_in",
]
