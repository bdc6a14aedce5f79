"""`chatops mcp`: the bot's Jira, GitHub and CI read tools served over MCP, for IDE agents.

Rule: an edge, like ``bot.console`` and ``bot.slack``: may import services and everything below
it; never ``bot.slack``, ``bot.console`` or Slack's libraries. Only read tools are served; writes
need an approval in Slack and are not offered here yet.
"""

from __future__ import annotations

from bot.mcp.command import read_server, run_mcp, server_token
from bot.mcp.endpoint import MCP_PATH, Endpoint
from bot.mcp.server import INSTRUCTIONS, build_server

__all__ = [
    "INSTRUCTIONS",
    "MCP_PATH",
    "Endpoint",
    "build_server",
    "read_server",
    "run_mcp",
    "server_token",
]
