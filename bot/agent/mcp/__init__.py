"""The team's MCP servers (``MCP_CONFIG``): which servers, how to reach them, and which of their
tools the agent may call, where, and whether a call is a read or a write.

Rule: the server list is checked once, at start-up, and is data (``config``); ``probe`` connects
to a server (with the ``mcp`` SDK) to list its tools, and ``toolset`` offers a server's read tools
to the agent (the only module here importing pydantic-ai).
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
from bot.agent.mcp.toolset import GuardedToolset, mcp_toolsets

__all__ = [
    "GuardedToolset",
    "HTTPTransport",
    "MCPServerConfig",
    "StdioTransport",
    "ToolInfo",
    "ToolKind",
    "ToolListFailed",
    "list_tools",
    "load_mcp_config",
    "mcp_toolsets",
    "target",
    "tool_kind",
    "usable_in",
]
