"""The terminal as the chat: ``chatops console`` and ``chatops demo`` run the same intake,
durable runs, workflows and approval desk as Slack, with a sink that prints.

Rule: may import services and everything below it; never ``bot.slack`` or Slack's libraries.
The demo's upstreams are the tests' simulators, labelled SIMULATED.
"""

from __future__ import annotations

from bot.console.app import run_console
from bot.console.demo import MCP_READS, run_demo, write_mcp_config

__all__ = [
    "MCP_READS",
    "run_console",
    "run_demo",
    "write_mcp_config",
]
