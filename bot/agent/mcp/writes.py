"""The team's MCP write tools as write specs: proposed in the agent's run, made by the desk.

A tool of a team's MCP server that is not a read (``tool_kind``) is offered to the agent as an
approval-required tool (``bot.agent.mcp.toolset``): calling it ends the run with the call pending.
The approval desk then needs the same things of it as of our own Jira and GitHub writes — a
preview of exactly what will be sent, and a way to send it once after Approve — and
``MCPWrites.get`` gives them as a ``WriteToolSpec`` for the tool's (server-prefixed) name.

The arguments are the model's, kept as given: the server owns their schema and checks them when
the approved call reaches it; a refusal is the write's failed outcome. The call carries the
approval's idempotency key in its ``_meta``, so a server that understands it can drop a repeat.
The call opens a session of its own with the server's own headers or env, never our credentials.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any, cast

import mcp
from mcp.types import RequestParamsMeta
from pydantic import BaseModel, RootModel

from bot.agent.mcp.config import MCPServerConfig, tool_kind
from bot.agent.mcp.probe import connected, target
from bot.agent.write_tools import WriteTarget, WriteToolSpec
from integrations.errors import ChatOpsError

log = logging.getLogger(__name__)

IDEMPOTENCY_META = "io.chatops/idempotency-key"
_RESULT_CHARS = 1500


class MCPArguments(RootModel[dict[str, Any]]):
    """An MCP tool's arguments as the model proposed them (the server checks them against its schema)."""


class MCPResult(BaseModel):
    """What the server answered to an approved call: its text, for the asker and the model."""

    server: str
    tool: str
    text: str


class MCPWriteFailed(ChatOpsError):
    """The approved call did not succeed: the server refused it, or could not be reached."""


class MCPWrites:
    """The write specs of the team's MCP servers, by the prefixed names the agent calls them by."""

    def __init__(self, servers: Sequence[MCPServerConfig]) -> None:
        # Longest name first: a server called "ops_db" wins over "ops" for "ops_db_query".
        self._servers = sorted(servers, key=lambda server: len(server.name), reverse=True)

    def get(self, name: str) -> WriteToolSpec[MCPArguments, MCPResult] | None:
        """The spec of ``name`` (``<server>_<tool>``), or None when no server offers it as a write."""
        for server in self._servers:
            tool = name.removeprefix(f"{server.name}_")
            if tool != name and tool and tool_kind(server, tool, None) != "filtered":
                return self._spec(server, tool, name)
        return None

    def _spec(self, server: MCPServerConfig, tool: str, name: str) -> WriteToolSpec[MCPArguments, MCPResult]:
        async def execute(arguments: MCPArguments, idempotency_key: str) -> MCPResult:
            log.info("executing approved MCP write %s (idempotency key %s)", name, idempotency_key)
            return await call(server, tool, arguments.root, idempotency_key, seconds=server.timeout)

        return WriteToolSpec(
            name=name,
            service="mcp",
            description=f"The {tool} tool of the {server.name} MCP server.",
            arguments=MCPArguments,
            preview=lambda arguments: preview(server, tool, arguments.root),
            execute=execute,
            target=lambda _arguments: WriteTarget("mcp", server.name),
            describe_call=lambda _arguments: f"MCP {server.name}: {tool}",
            describe_result=lambda result: f"{result.server}: {result.tool} done.\n{result.text}".rstrip(),
        )


def preview(server: MCPServerConfig, tool: str, arguments: dict[str, Any]) -> str:
    """Exactly what will be sent: the server, the tool and its arguments as JSON."""
    shown = json.dumps(arguments, indent=2, ensure_ascii=False, sort_keys=True) if arguments else "{}"
    return "\n".join([f"MCP server: {server.name} ({target(server)})", f"Tool: {tool}", "Arguments:", shown])


async def call(
    server: MCPServerConfig, tool: str, arguments: dict[str, Any], idempotency_key: str, *, seconds: float
) -> MCPResult:
    """One ``tools/call`` on a session of its own; MCPWriteFailed when it did not succeed."""
    try:
        meta = cast(RequestParamsMeta, {IDEMPOTENCY_META: idempotency_key})
        async with connected(server, seconds) as client:
            result = await client.call_tool(tool, arguments, read_timeout_seconds=seconds, meta=meta)
    except TimeoutError:
        raise MCPWriteFailed(
            f"The {server.name} MCP server did not answer {tool} in time; it may or may not have made "
            "the change, so check before asking again."
        ) from None
    except Exception as exc:  # transports, task groups and protocol errors all raise their own
        # The type only: a message could echo a header or an env value.
        log.warning("MCP server %r failed the approved %s (%s)", server.name, tool, type(exc).__name__)
        raise MCPWriteFailed(
            f"The {server.name} MCP server could not be reached or failed the call ({type(exc).__name__})."
        ) from None
    text = result_text(result)
    if result.is_error:
        raise MCPWriteFailed(f"The {server.name} MCP server refused {tool}: {text}")
    return MCPResult(server=server.name, tool=tool, text=text)


def result_text(result: mcp.types.CallToolResult) -> str:
    """The result's text parts (or its structured content as JSON), cut to a readable length."""
    texts = [part.text for part in result.content if isinstance(part, mcp.types.TextContent)]
    text = _compact("\n".join(texts).strip())
    if not text and result.structured_content is not None:
        text = json.dumps(result.structured_content, ensure_ascii=False)
    return text if len(text) <= _RESULT_CHARS else text[: _RESULT_CHARS - 1] + "…"


def _compact(text: str) -> str:
    """JSON on one line (servers often indent it), so the outcome stays short; other text as is."""
    try:
        return json.dumps(json.loads(text), ensure_ascii=False, separators=(", ", ": "))
    except ValueError:
        return text
