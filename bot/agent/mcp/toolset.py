"""The team's MCP servers as the agent's toolsets: ``mcp_toolsets`` and the guard around each one.

Only READ tools are offered (``tool_kind`` says "read") and only in the channels a server is
usable in (``usable_in``, with the run's channel from ``ToolNotes``); writes wait for the approval
cards of the next step, so nothing here can write. Names are prefixed with the server's name
(``incidents_incident_get``) so they cannot collide with ours. Results are fenced as untrusted
data and truncated like our own tools'. A server that is down, slow or malformed loses its tools
for the run (logged), and a failed call is a failed tool result: the answer goes on without it.
Each server gets only its own configured headers or env, never our Slack/Jira/GitHub secrets.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Self

import anyio
from fastmcp.client.transports import StdioTransport as FastMCPStdio
from pydantic_ai import RunContext
from pydantic_ai.exceptions import ModelRetry, ToolFailed
from pydantic_ai.mcp import MCPToolset
from pydantic_ai.tools import ToolDefinition
from pydantic_ai.toolsets import AbstractToolset, WrapperToolset
from pydantic_ai.toolsets.abstract import ToolsetTool
from pydantic_core import to_json

from bot.agent.mcp.config import HTTPTransport, MCPServerConfig, tool_kind, usable_in
from bot.agent.mcp.probe import target
from bot.agent.tools import ToolNotes
from bot.agent.untrusted import fence

log = logging.getLogger(__name__)

CALL_TIMEOUT_SECONDS = 20.0
_ERROR_CHARS = 300


def mcp_toolsets(
    servers: Sequence[MCPServerConfig], *, output_chars: int, timeout: float = CALL_TIMEOUT_SECONDS
) -> list[AbstractToolset[ToolNotes]]:
    """One guarded toolset per server, offering its read tools usable in the run's channel."""
    return [_toolset(server, output_chars=output_chars, timeout=timeout) for server in servers]


def _toolset(server: MCPServerConfig, *, output_chars: int, timeout: float) -> AbstractToolset[ToolNotes]:
    transport = server.transport
    if isinstance(transport, HTTPTransport):
        toolset = MCPToolset[ToolNotes](
            transport.url,
            id=server.name,
            headers=dict(transport.headers),
            tool_error_behavior="failed",
            init_timeout=timeout,
            read_timeout=timeout,
        )
    else:
        # The SDK starts the child with an allow-listed environment plus this env, not ours.
        child = FastMCPStdio(transport.command, transport.args, env=dict(transport.env), cwd=transport.cwd)
        toolset = MCPToolset[ToolNotes](
            child, id=server.name, tool_error_behavior="failed", init_timeout=timeout, read_timeout=timeout
        )
    reads = toolset.filtered(_reads_here(server)).prefixed(server.name)
    return GuardedToolset(reads, server=server, output_chars=output_chars, timeout=timeout)


def _reads_here(server: MCPServerConfig) -> Callable[[RunContext[ToolNotes], ToolDefinition], bool]:
    def offered(ctx: RunContext[ToolNotes], tool: ToolDefinition) -> bool:
        annotations = (tool.metadata or {}).get("annotations")
        return tool_kind(server, tool.name, annotations) == "read" and usable_in(server, ctx.deps.channel_id)

    return offered


@dataclass
class GuardedToolset(WrapperToolset[ToolNotes]):
    """One server's tools, failing locally: an unreachable server offers nothing, a call that
    fails or takes longer than ``timeout`` is a failed result, and every result is fenced."""

    server: MCPServerConfig = field(kw_only=True)
    output_chars: int = field(kw_only=True)
    timeout: float = field(kw_only=True)
    _connected: bool = field(default=False, init=False)

    async def for_run(self, ctx: RunContext[ToolNotes]) -> AbstractToolset[ToolNotes]:
        # A guard per run: one run's failed connection or its exit must not hide another's tools.
        return replace(self, wrapped=await self.wrapped.for_run(ctx))

    async def __aenter__(self) -> Self:
        try:
            await self.wrapped.__aenter__()
        except Exception as exc:  # transports, task groups and validation all raise their own
            self._unavailable(exc)
        else:
            self._connected = True
        return self

    async def __aexit__(self, *args: Any) -> bool | None:
        if not self._connected:
            return None
        self._connected = False
        try:
            await self.wrapped.__aexit__(*args)
        except Exception as exc:  # a session that broke while open must not fail the answer
            log.warning("MCP server %r did not close cleanly (%s)", self.server.name, type(exc).__name__)
        return None

    async def get_tools(self, ctx: RunContext[ToolNotes]) -> dict[str, ToolsetTool[ToolNotes]]:
        if not self._connected:
            return {}
        try:
            with anyio.fail_after(self.timeout):
                return await self.wrapped.get_tools(ctx)
        except Exception as exc:
            self._unavailable(exc)
            return {}

    async def call_tool(
        self, name: str, tool_args: dict[str, Any], ctx: RunContext[ToolNotes], tool: ToolsetTool[ToolNotes]
    ) -> str:
        source = f"mcp:{self.server.name}"
        call_id = ctx.tool_call_id or ""
        try:
            with anyio.fail_after(self.timeout):
                result = await self.wrapped.call_tool(name, tool_args, ctx, tool)
        except (ToolFailed, ModelRetry) as exc:
            ctx.deps.summaries[call_id] = "failed"
            detail = fence(str(exc), source=source, tool=name, limit=_ERROR_CHARS)
            raise ToolFailed(f"{name} failed.\n{detail}") from None
        except Exception as exc:
            ctx.deps.summaries[call_id] = "unavailable"
            log.warning("MCP server %r failed a call to %s (%s)", self.server.name, name, type(exc).__name__)
            raise ToolFailed(f"{name} failed: the {self.server.name} server is unavailable.") from None
        ctx.deps.summaries[call_id] = "done"
        return fence(_text(result), source=source, tool=name, limit=self.output_chars)

    def _unavailable(self, exc: BaseException) -> None:
        # The type only: a message could echo a header or an env value.
        log.warning(
            "MCP server %r (%s) is unavailable, its tools are left out (%s)",
            self.server.name,
            target(self.server),
            type(exc).__name__,
        )


def _text(result: object) -> str:
    """A tool's result as text for the fence (JSON unless it already is text)."""
    if isinstance(result, str):
        return result
    return to_json(result, fallback=str).decode()
