"""What the MCP client reports as it works, for metrics: ``MCPObserver``.

A Protocol, so the agent needs no handle on ``bot.metrics`` (``Metrics`` is one as it is): the
services pass it in. Server names come from ``MCP_CONFIG``; tool names are the server's own.
"""

from __future__ import annotations

from typing import Literal, Protocol

# ok: answered; failed: the tool said it failed; unavailable: no answer (down, slow, broken);
# proposed: a write that waits for Approve.
MCPCallOutcome = Literal["ok", "failed", "unavailable", "proposed"]


class MCPObserver(Protocol):
    """Told about every MCP tool call and every tool list that changed."""

    def mcp_call(self, server: str, tool: str, outcome: MCPCallOutcome, seconds: float) -> None: ...

    def mcp_tool_list_changed(self, server: str) -> None: ...
