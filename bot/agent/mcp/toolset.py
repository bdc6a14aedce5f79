"""The team's MCP servers as the agent's toolsets: ``mcp_toolsets`` and the guard around each one.

A server's tools are offered only in the channels it is usable in (``usable_in``, with the run's
channel from ``ToolNotes``), and only those ``tool_kind`` does not filter out. A READ runs at once.
Any other tool is a write: calling it ends the run with the call pending (pydantic-ai's
``ApprovalRequired``), the approval desk shows the asker a card, and only after Approve does the
desk make the call, once (``bot.agent.mcp.writes``). When the run resumes, the approved call only
reports the recorded outcome: nothing in this module ever sends a write to a server. Names are
prefixed with the server's name (``incidents_incident_get``) so they cannot collide with ours.
Results are fenced as untrusted data and truncated like our own tools'. A server that is down,
slow or malformed loses its tools for the run (logged), and a failed call is a failed tool
result: the answer goes on without it. Each server gets only its own configured headers or env,
never our Slack/Jira/GitHub secrets.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Self

import anyio
from fastmcp.client.transports import StdioTransport as FastMCPStdio
from pydantic_ai import RunContext
from pydantic_ai.exceptions import ApprovalRequired, ModelRetry, ToolFailed
from pydantic_ai.mcp import TOOL_SCHEMA_VALIDATOR, MCPToolset
from pydantic_ai.tools import ToolDefinition
from pydantic_ai.toolsets import AbstractToolset, WrapperToolset
from pydantic_ai.toolsets.abstract import ToolsetTool
from pydantic_core import to_json

from bot.agent.approval_tools import recorded_outcome
from bot.agent.mcp.config import HTTPTransport, MCPServerConfig, ToolKind, tool_kind, usable_in
from bot.agent.mcp.observer import MCPCallOutcome, MCPObserver
from bot.agent.mcp.probe import target, tool_info
from bot.agent.mcp.watch import ToolListWatch
from bot.agent.tools import ToolNotes
from bot.agent.untrusted import fence
from bot.runs import step

log = logging.getLogger(__name__)

_ERROR_CHARS = 300
_DESCRIPTION_CHARS = 1000


def mcp_toolsets(
    servers: Sequence[MCPServerConfig],
    *,
    output_chars: int,
    watch: ToolListWatch | None = None,
    observer: MCPObserver | None = None,
) -> list[AbstractToolset[ToolNotes]]:
    """One guarded toolset per server, offering its tools usable in the run's channel (writes
    only as proposals), each call bounded by the server's ``timeout``."""
    return [_toolset(server, output_chars=output_chars, watch=watch, observer=observer) for server in servers]


def _toolset(
    server: MCPServerConfig,
    *,
    output_chars: int,
    watch: ToolListWatch | None,
    observer: MCPObserver | None,
) -> AbstractToolset[ToolNotes]:
    transport, timeout = server.transport, server.timeout
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
    offered = toolset.filtered(_offered_here(server)).prefixed(server.name)
    return GuardedToolset(
        offered, server=server, output_chars=output_chars, source=toolset, watch=watch, observer=observer
    )


def _offered_here(server: MCPServerConfig) -> Callable[[RunContext[ToolNotes], ToolDefinition], bool]:
    def offered(ctx: RunContext[ToolNotes], tool: ToolDefinition) -> bool:
        kind = _kind(server, tool.name, tool)
        return kind != "filtered" and usable_in(server, ctx.deps.channel_id)

    return offered


def _kind(server: MCPServerConfig, name: str, tool: ToolDefinition) -> ToolKind:
    return tool_kind(server, name, (tool.metadata or {}).get("annotations"))


@dataclass(frozen=True, slots=True)
class _Read:
    """A read's outcome as the run's checkpoint records it: plain values, not the exception."""

    outcome: MCPCallOutcome
    text: str


@dataclass
class GuardedToolset(WrapperToolset[ToolNotes]):
    """One server's tools, failing locally: an unreachable server offers nothing, a call that
    fails or takes longer than the server's ``timeout`` is a failed result, and every result is
    fenced. A read is a step of the durable run (a resumed run gets its recorded result); a write
    only ever proposes. Each listing goes to the ``watch``, each call to the ``observer``."""

    server: MCPServerConfig = field(kw_only=True)
    output_chars: int = field(kw_only=True)
    source: MCPToolset[ToolNotes] = field(kw_only=True)  # the unwrapped session, for its tool list
    watch: ToolListWatch | None = field(default=None, kw_only=True)
    observer: MCPObserver | None = field(default=None, kw_only=True)
    _connected: bool = field(default=False, init=False)

    @property
    def timeout(self) -> float:
        return self.server.timeout

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
        return {**self._resumed(ctx), **await self._listed(ctx)}

    async def _listed(self, ctx: RunContext[ToolNotes]) -> dict[str, ToolsetTool[ToolNotes]]:
        if not self._connected:
            ctx.deps.unavailable.add(self.server.name)
            return {}
        try:
            with anyio.fail_after(self.timeout):
                tools = await self.wrapped.get_tools(ctx)
                if self.watch is not None:  # the session caches its listing: no second round trip
                    listed = await self.source.list_tools()
                    await self.watch.seen(self.server.name, [tool_info(tool) for tool in listed])
                return {name: self._described(name, tool) for name, tool in tools.items()}
        except Exception as exc:
            self._unavailable(exc)
            ctx.deps.unavailable.add(self.server.name)
            return {}

    def _resumed(self, ctx: RunContext[ToolNotes]) -> dict[str, ToolsetTool[ToolNotes]]:
        """Stand-ins for this server's writes whose approved calls the resumed run reports on, so
        the model still learns their recorded outcomes if the server is gone (or renamed them)."""
        prefix = f"{self.server.name}_"
        return {
            name: ToolsetTool(
                toolset=self,
                tool_def=ToolDefinition(name=name, description="An approved call, already made."),
                max_retries=0,
                args_validator=TOOL_SCHEMA_VALIDATOR,
            )
            for name in ctx.deps.resuming
            if name.startswith(prefix)
        }

    def _described(self, name: str, tool: ToolsetTool[ToolNotes]) -> ToolsetTool[ToolNotes]:
        """The tool with its server's description fenced as data: a description is somebody else's
        text the model reads, so it may inform the choice of tool but never instruct."""
        described = fence(
            tool.tool_def.description or "",
            source=f"mcp:{self.server.name}",
            tool=name,
            limit=_DESCRIPTION_CHARS,
        )
        return replace(tool, tool_def=replace(tool.tool_def, description=described))

    async def call_tool(
        self, name: str, tool_args: dict[str, Any], ctx: RunContext[ToolNotes], tool: ToolsetTool[ToolNotes]
    ) -> str:
        source = f"mcp:{self.server.name}"
        call_id = ctx.tool_call_id or ""
        if _kind(self.server, name.removeprefix(f"{self.server.name}_"), tool.tool_def) == "write":
            return self._proposed(name, ctx)
        started = time.monotonic()
        # A step: a run resumed after a crash gets this read's recorded result instead of asking again.
        read = await step(f"mcp.{name}", self._read, name, tool_args, ctx, tool)
        self._observe(name, read.outcome, started)
        if read.outcome == "failed":
            ctx.deps.summaries[call_id] = "failed"
            detail = fence(read.text, source=source, tool=name, limit=_ERROR_CHARS)
            raise ToolFailed(f"{name} failed.\n{detail}")
        if read.outcome == "unavailable":
            ctx.deps.summaries[call_id] = "unavailable"
            raise ToolFailed(f"{name} failed: the {self.server.name} server is unavailable.")
        ctx.deps.summaries[call_id] = "done"
        return fence(read.text, source=source, tool=name, limit=self.output_chars)

    async def _read(
        self, name: str, tool_args: dict[str, Any], ctx: RunContext[ToolNotes], tool: ToolsetTool[ToolNotes]
    ) -> _Read:
        try:
            with anyio.fail_after(self.timeout):
                result = await self.wrapped.call_tool(name, tool_args, ctx, tool)
        except (ToolFailed, ModelRetry) as exc:
            return _Read("failed", str(exc))
        except Exception as exc:
            log.warning("MCP server %r failed a call to %s (%s)", self.server.name, name, type(exc).__name__)
            return _Read("unavailable", "")
        return _Read("ok", _text(result))

    def _proposed(self, name: str, ctx: RunContext[ToolNotes]) -> str:
        """A write: pending until the asker decides; once approved, the outcome the desk recorded."""
        if not ctx.tool_call_approved:
            self._observe(name, "proposed", time.monotonic())
            raise ApprovalRequired
        call_id = ctx.tool_call_id or ""
        outcome = recorded_outcome(ctx.tool_call_metadata)
        if outcome is None:  # approved without a recorded outcome: nothing was sent, nor will be
            ctx.deps.summaries[call_id] = "not executed"
            raise ToolFailed(f"{name} was not executed.")
        text, ok = outcome
        ctx.deps.summaries[call_id] = text.splitlines()[0] if text else ("done" if ok else "failed")
        fenced = fence(text, source=f"mcp:{self.server.name}", tool=name, limit=self.output_chars)
        if not ok:
            raise ToolFailed(f"{name} failed after approval.\n{fenced}")
        return fenced

    def _observe(self, name: str, outcome: MCPCallOutcome, started: float) -> None:
        if self.observer is not None:
            tool = name.removeprefix(f"{self.server.name}_")
            self.observer.mcp_call(self.server.name, tool, outcome, time.monotonic() - started)

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
