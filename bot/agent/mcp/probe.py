"""Connecting to one MCP server of ``MCP_CONFIG`` to list its tools: ``list_tools`` and its errors.

``chatops doctor`` uses it to show each server's tools by kind; the agent wiring reuses it. Every
failure (nothing listening, a refused token, no answer in time, a server that does not speak MCP,
a command that cannot start) becomes one ``ToolListFailed`` whose words name what went wrong but
never a header or env value. The whole attempt is bounded by ``timeout_seconds``, so a slow
server cannot hang the caller.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import anyio
import httpx2
import mcp
from mcp.client.sse import sse_client
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

from bot.agent.mcp.config import HTTPTransport, MCPServerConfig, StdioTransport

Reason = Literal["unreachable", "refused", "timeout", "protocol", "not_started"]
_REFUSALS = (401, 403)


@dataclass(frozen=True)
class ToolInfo:
    """A tool as the server lists it; ``annotations`` camelCase as on the wire (``tool_kind`` reads them).

    ``description`` and ``input_schema`` are what the model is told about the tool: kept so that
    a tool which changes them between connections is noticed (``bot.store.tool_lists``).
    """

    name: str
    annotations: dict[str, Any] | None
    description: str | None = None
    input_schema: dict[str, Any] = field(default_factory=dict)


@dataclass
class ToolListFailed(Exception):
    """``tools/list`` did not work; ``detail`` is a short cause such as ``ConnectError`` or ``401``."""

    reason: Reason
    detail: str
    status: int | None = None

    def __str__(self) -> str:
        return f"{self.reason} ({self.detail})"


@dataclass
class _Statuses:
    """The HTTP error statuses the server answered, which the SDK folds into a bare MCPError."""

    seen: list[int] = field(default_factory=list)

    async def record(self, response: httpx2.Response) -> None:
        if response.status_code >= 400:
            self.seen.append(response.status_code)


def target(server: MCPServerConfig) -> str:
    """Where the server is, for humans: the URL without credentials or query, or the command
    (its arguments are left out: they may carry a token)."""
    transport = server.transport
    if isinstance(transport, StdioTransport):
        return f"command {transport.command}"
    parts = urlsplit(transport.url)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    netloc += f":{parts.port}" if parts.port else ""
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


async def list_tools(server: MCPServerConfig, *, timeout_seconds: float) -> list[ToolInfo]:
    """Every tool ``server`` lists (all pages), or ToolListFailed within about ``timeout_seconds``."""
    statuses = _Statuses()
    try:
        with anyio.fail_after(timeout_seconds):
            async with connected(server, timeout_seconds, statuses) as client:
                return await _all_tools(client)
    except TimeoutError:
        raise ToolListFailed("timeout", f"no answer within {timeout_seconds:g} s") from None
    except Exception as exc:  # the SDK raises from task groups, transports and validation alike
        raise _failure(exc, statuses) from None


@asynccontextmanager
async def connected(
    server: MCPServerConfig, timeout_seconds: float, statuses: _Statuses | None = None
) -> AsyncIterator[mcp.Client]:
    """An MCP client session with ``server`` over its transport, with only its own headers or env."""
    statuses = statuses or _Statuses()
    transport = server.transport
    if isinstance(transport, StdioTransport):
        params = StdioServerParameters(
            command=transport.command, args=transport.args, env=transport.env, cwd=transport.cwd
        )
        # The child's stderr would interleave with our output, and may print its own secrets.
        with open(os.devnull, "w") as quiet:  # noqa: ASYNC230 (/dev/null never blocks)
            async with mcp.Client(
                stdio_client(params, errlog=quiet), read_timeout_seconds=timeout_seconds
            ) as client:
                yield client
        return
    if _is_sse(transport):
        sse = sse_client(transport.url, headers=transport.headers, timeout=timeout_seconds)
        async with mcp.Client(sse, read_timeout_seconds=timeout_seconds) as client:
            yield client
        return
    hooks = {"response": [statuses.record]}
    async with httpx2.AsyncClient(
        headers=transport.headers, timeout=timeout_seconds, event_hooks=hooks
    ) as http:
        streams = streamable_http_client(transport.url, http_client=http)
        async with mcp.Client(streams, read_timeout_seconds=timeout_seconds) as client:
            yield client


def _is_sse(transport: HTTPTransport) -> bool:
    return urlsplit(transport.url).path.rstrip("/").endswith("/sse")


async def _all_tools(client: mcp.Client) -> list[ToolInfo]:
    tools: list[ToolInfo] = []
    cursor: str | None = None
    while True:
        page = await client.list_tools(cursor=cursor)
        tools += [tool_info(tool) for tool in page.tools]
        cursor = page.next_cursor
        if cursor is None:
            return tools


def tool_info(tool: mcp.types.Tool) -> ToolInfo:
    """``tool`` as listed by the SDK (here, or by pydantic-ai's ``MCPToolset.list_tools``)."""
    annotations = tool.annotations.model_dump(by_alias=True, exclude_none=True) if tool.annotations else None
    return ToolInfo(tool.name, annotations, tool.description, dict(tool.input_schema))


def _failure(exc: BaseException, statuses: _Statuses) -> ToolListFailed:
    """The one failure to report for ``exc``, which may be a group of a transport's errors."""
    cause = next(_leaves(exc))
    if isinstance(cause, httpx2.HTTPStatusError):
        statuses.seen.append(cause.response.status_code)
    if statuses.seen:
        # A refusal explains everything after it; otherwise the last answer is the one that failed.
        status = next((code for code in statuses.seen if code in _REFUSALS), statuses.seen[-1])
        reason: Reason = "refused" if status in _REFUSALS else "protocol"
        return ToolListFailed(reason, f"HTTP {status}", status)
    name = type(cause).__name__
    if isinstance(cause, httpx2.TimeoutException | TimeoutError):
        return ToolListFailed("timeout", name)
    if isinstance(cause, httpx2.TransportError):
        return ToolListFailed("unreachable", name)
    if isinstance(cause, OSError):  # a stdio command that cannot start
        return ToolListFailed("not_started", cause.strerror or name)
    return ToolListFailed("protocol", name)  # MCPError, a ValidationError of its answer, ...


def _leaves(exc: BaseException) -> Iterator[BaseException]:
    """The errors inside (nested) exception groups, first first; ``exc`` itself when it is none."""
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            yield from _leaves(inner)
    else:
        yield exc
