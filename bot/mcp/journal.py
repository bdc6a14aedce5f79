"""The journal of MCP calls: every call `chatops mcp` answers is a run in the store.

A client's runs belong to one conversation of their own (team ``mcp``, the client's name as the
channel), so ``chatops runs`` shows the client in its channel column and ``chatops run <id>``
shows it as the asker, with trigger ``mcp``. A read is a run of one tool call, finished at once;
a write's run is paused at its approval and finished when the approval ends.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.events import Usage
from bot.store import ApprovalRecord, Store

MCP_TEAM = "mcp"
TRIGGER = "mcp"


class CallJournal:
    """Runs and tool calls of MCP clients, on the bot's store."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def start(self, client: str) -> tuple[str, int]:
        """A running run of ``client``'s, and its conversation."""
        conversation = await self._store.open_conversation(MCP_TEAM, client, "")
        run_id = await self._store.create_run(conversation, trigger=TRIGGER, user_id=client)
        await self._store.mark_running(run_id)
        return run_id, conversation

    async def record(
        self, run_id: str, tool: str, arguments: Mapping[str, Any], *, ok: bool, summary: str, ms: int
    ) -> None:
        await self._store.record_tool_call(
            run_id,
            call_id=call_id(run_id),
            name=tool,
            arguments=arguments,
            ok=ok,
            summary=summary,
            duration_ms=ms,
        )

    async def finish(self, run_id: str, *, ok: bool, error: str | None = None) -> None:
        await self._store.finish_run(
            run_id, status="succeeded" if ok else "failed", usage=Usage(), error=error
        )

    async def finish_request(self, record: ApprovalRecord) -> None:
        """End the run an MCP request paused, once its approval ended (a second time: no change)."""
        status, error = record.run_ending()
        await self._store.finish_run(record.run_id, status=status, usage=Usage(), error=error)

    async def once(
        self, client: str, tool: str, arguments: Mapping[str, Any], *, ok: bool, summary: str, ms: int
    ) -> None:
        """A call answered at once (a read, a status, a refused write): a run of one tool call."""
        run_id, _ = await self.start(client)
        await self.record(run_id, tool, arguments, ok=ok, summary=summary, ms=ms)
        await self.finish(run_id, ok=ok, error=None if ok else summary)


def call_id(run_id: str) -> str:
    """The one tool call of an MCP run."""
    return f"mcp-{run_id}"
