"""Watching the MCP servers' tool lists from the agent: ``ToolListWatch``.

The toolset hands it each server's tools after a successful ``tools/list``; a list that differs
from the one the server showed before (``bot.store.tool_lists``) is logged as a WARNING naming
the server and the tools added, removed or changed, and counted. The last fingerprint of each
server is kept in memory, so runs that see the same list write nothing: the database hears of
each distinct list once per process. The watch never fails a run: a database error is logged and
the list is looked at again on the next listing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from bot.agent.mcp.observer import MCPObserver
from bot.agent.mcp.probe import ToolInfo
from bot.store import ToolListChange, ToolLists, fingerprint

log = logging.getLogger(__name__)


class ToolListWatch:
    """Notices when an MCP server's tool list changes between connections."""

    def __init__(self, tool_lists: ToolLists, observer: MCPObserver | None = None) -> None:
        self._tool_lists = tool_lists
        self._observer = observer
        self._seen: dict[str, str] = {}  # server → fingerprint of the list last recorded
        self._lock = asyncio.Lock()  # runs listing one server at once record it once

    async def seen(self, server: str, tools: Sequence[ToolInfo]) -> ToolListChange | None:
        """Record that ``server`` lists ``tools``; the change when its list differs from before."""
        current = fingerprint(tools)
        if self._seen.get(server) == current:
            return None
        async with self._lock:
            if self._seen.get(server) == current:
                return None
            try:
                change = await self._tool_lists.observe(server, tools)
            except Exception as exc:  # StoreBusy, a lost connection: the answer matters more
                log.warning(
                    "could not record the tool list of MCP server %r (%s)", server, type(exc).__name__
                )
                return None
            self._seen[server] = current
        if change is not None:
            log.warning("MCP server %r changed its tool list since last seen: %s", server, change.summary())
            if self._observer is not None:
                self._observer.mcp_tool_list_changed(server)
        return change
