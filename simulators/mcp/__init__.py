"""SIMULATED MCP server: an incident and feature-flag tool server speaking real MCP on loopback.

``MCPSimulator`` serves the official SDK's ``MCPServer`` over Streamable HTTP with read tools
(``incidents_list``, ``incident_get``, ``flag_get``), write tools (``incident_acknowledge``,
``flag_set``) and one mis-annotated write (``incident_resolve`` claims to be read-only). It keeps
a log of calls and the state they change, can require a bearer token, plant text for
prompt-injection tests, and change its tool list. Nothing here is a real MCP server.

May import: the ``mcp`` SDK, uvicorn, starlette, pydantic and the standard library; never ``bot``.
"""

from simulators.mcp.desk import INJECTION, Desk, Incident, RecordedCall, UnknownItem
from simulators.mcp.simulator import MCP_PATH, SERVER_NAME, MCPSimulator
from simulators.mcp.tools import TOOL_LIST_VERSIONS, ToolSpec, tool_specs

__all__ = [
    "INJECTION",
    "MCP_PATH",
    "SERVER_NAME",
    "TOOL_LIST_VERSIONS",
    "Desk",
    "Incident",
    "MCPSimulator",
    "RecordedCall",
    "ToolSpec",
    "UnknownItem",
    "tool_specs",
]
