"""Who is calling: the MCP client's name, as its ``initialize`` request gave it (``clientInfo.name``).

The name is what the client says it is, not proof of anything (the bearer token is): it labels
the client's runs in ``chatops runs``, its approval cards in Slack, and scopes its requests.
"""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import Context

UNKNOWN_CLIENT = "unknown client"
NAME_CHARS = 64  # a run's user id and an approval's requester hold this much


def client_name(ctx: Context[Any, Any]) -> str:
    """The calling client's name, printable and short; ``unknown client`` when it gave none."""
    try:
        params = ctx.request_context.session.client_params
    except ValueError:  # no request: called outside the protocol
        return UNKNOWN_CLIENT
    name = params.client_info.name if params is not None else ""
    shown = "".join(char for char in name if char.isprintable()).strip()
    return shown[:NAME_CHARS] or UNKNOWN_CLIENT
