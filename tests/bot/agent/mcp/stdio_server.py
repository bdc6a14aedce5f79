"""A tiny MCP server over stdio for the probe's and doctor's tests: one read tool, one write tool.

Run as ``python stdio_server.py``. With ``EXTRA_TOOL`` set in its environment it also offers a tool
of that name, so a test can see that the configured ``env`` reached the child.
"""

from __future__ import annotations

import os

from mcp.server import MCPServer
from mcp.types import ToolAnnotations

server = MCPServer("stdio-test")


@server.tool(annotations=ToolAnnotations(read_only_hint=True))
def greet() -> str:
    return "hello"


@server.tool(annotations=ToolAnnotations(read_only_hint=False))
def shout(text: str) -> str:
    return text.upper()


def _extra() -> str:
    return "extra"


if __name__ == "__main__":
    if extra := os.environ.get("EXTRA_TOOL"):
        server.tool(name=extra)(_extra)
    server.run("stdio")
