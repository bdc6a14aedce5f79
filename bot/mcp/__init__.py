"""`chatops mcp`: the bot's Jira, GitHub and CI tools served over MCP, for IDE agents.

Rule: an edge above ``bot.console`` and ``bot.slack``: may import ``bot.slack`` (its delivery
door, to post approval cards, and its Block Kit), services and everything below it; never
``bot.console`` or Slack's libraries. Reads answer at once; writes are served only with
MCP_APPROVAL_CHANNEL, each waiting for an approval in Slack that `chatops serve` takes.
"""

from __future__ import annotations

from bot.mcp.caller import UNKNOWN_CLIENT, client_name
from bot.mcp.command import mcp_server, run_mcp, server_token
from bot.mcp.endpoint import MCP_PATH, Endpoint
from bot.mcp.journal import CallJournal
from bot.mcp.requests import WAIT_SECONDS, WriteRequests, request_key
from bot.mcp.server import INSTRUCTIONS, READ_ONLY_INSTRUCTIONS, STATUS_TOOL, build_server

__all__ = [
    "INSTRUCTIONS",
    "MCP_PATH",
    "READ_ONLY_INSTRUCTIONS",
    "STATUS_TOOL",
    "UNKNOWN_CLIENT",
    "WAIT_SECONDS",
    "CallJournal",
    "Endpoint",
    "WriteRequests",
    "build_server",
    "client_name",
    "mcp_server",
    "request_key",
    "run_mcp",
    "server_token",
]
