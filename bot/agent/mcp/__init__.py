"""The team's MCP servers (``MCP_CONFIG``): which servers, how to reach them, and which of their
tools the agent may call, where, and whether a call is a read or a write.

Rule: the server list is checked once, at start-up, and is data (``config``); ``probe`` connects
to a server (with the ``mcp`` SDK) to list its tools, ``toolset`` offers a server's tools to the
agent (the only module here importing pydantic-ai), ``writes`` makes an approved write's call,
``watch`` notices a tool list that changed between connections and ``observer`` is what the
calls are reported to (metrics).
A tool is a write unless the configuration says it is a read (``read_only``), or a trusted
server annotates it ``readOnlyHint``; every write waits for Approve like ours, and only the
approval desk ever sends one.
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
from bot.agent.mcp.observer import MCPCallOutcome, MCPObserver
from bot.agent.mcp.probe import ToolInfo, ToolListFailed, list_tools, target, tool_info
from bot.agent.mcp.toolset import GuardedToolset, mcp_toolsets
from bot.agent.mcp.watch import ToolListWatch
from bot.agent.mcp.writes import MCPArguments, MCPResult, MCPWriteFailed, MCPWrites

__all__ = [
    "GuardedToolset",
    "HTTPTransport",
    "MCPArguments",
    "MCPCallOutcome",
    "MCPObserver",
    "MCPResult",
    "MCPWriteFailed",
    "MCPWrites",
    "MCPServerConfig",
    "StdioTransport",
    "ToolInfo",
    "ToolKind",
    "ToolListFailed",
    "ToolListWatch",
    "list_tools",
    "load_mcp_config",
    "mcp_toolsets",
    "target",
    "tool_info",
    "tool_kind",
    "usable_in",
]
