"""The tool list each MCP server last showed, and the change when it shows a different one.

A server whose tools change between connections may have been swapped or compromised (a
"rug pull": a read that now describes itself differently, a write that appeared), so the agent
and ``chatops doctor`` report it. A tool counts as changed when its description, input schema or
annotations change, not only its name.

``observe`` is one upsert: of two processes listing the same new list at once, exactly one gets
the change back, and the other only moves ``seen_at``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from bot.store.database import Database
from bot.store.models import MCPToolList, utcnow


class ListedTool(Protocol):
    """A tool as an MCP server lists it (``bot.agent.mcp.ToolInfo`` is one)."""

    @property
    def name(self) -> str: ...
    @property
    def description(self) -> str | None: ...
    @property
    def input_schema(self) -> Mapping[str, Any]: ...
    @property
    def annotations(self) -> Mapping[str, Any] | None: ...


@dataclass(frozen=True, slots=True)
class ToolListChange:
    """How a server's tool list differs from the one it showed before: names added, removed,
    and kept but described, typed or annotated differently."""

    server: str
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]
    changed_at: datetime

    def summary(self) -> str:
        """``+incident_close, -flag_get, ~incident_get``."""
        parts = [f"+{n}" for n in self.added] + [f"-{n}" for n in self.removed]
        return ", ".join(parts + [f"~{n}" for n in self.changed])


def tool_digests(tools: Iterable[ListedTool]) -> dict[str, str]:
    """Each tool's sha256 (hex) over what the model is told about it, by name, sorted."""
    digests = {tool.name: _digest(_described(tool)) for tool in tools}
    return dict(sorted(digests.items()))


def fingerprint(tools: Iterable[ListedTool]) -> str:
    """The sha256 (hex) of the whole list: same tools, same fingerprint, in any order."""
    return _digest(tool_digests(tools))


class ToolLists:
    """The MCP servers' last tool lists, on the bot's database."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def observe(self, server: str, tools: Iterable[ListedTool]) -> ToolListChange | None:
        """Record that ``server`` lists ``tools`` now; the change when its last list differed
        (None the first time and when nothing changed)."""
        digests = tool_digests(tools)
        now = utcnow()
        table: sa.Table = MCPToolList.__table__  # type: ignore[attr-defined]
        async with self._database.writing() as session:
            dialect = postgresql if (await session.connection()).dialect.name == "postgresql" else sqlite
            insert = dialect.insert(MCPToolList).values(
                server=server, fingerprint=_digest(digests), names=_json(digests), seen_at=now
            )
            new = insert.excluded
            differs = table.c.fingerprint != new.fingerprint
            statement = insert.on_conflict_do_update(
                index_elements=["server"],
                set_={
                    "previous_names": sa.case((differs, table.c.names), else_=table.c.previous_names),
                    "changed_at": sa.case((differs, new.seen_at), else_=table.c.changed_at),
                    "names": new.names,
                    "fingerprint": new.fingerprint,
                    "seen_at": new.seen_at,
                },
            ).returning(table.c.previous_names, table.c.changed_at)
            previous, changed_at = (await session.exec(statement)).one()
        # Only the statement that made the change stamped it with its own time.
        if changed_at != now or previous is None:
            return None
        return _change(server, json.loads(previous), digests, changed_at)

    async def last(self, server: str) -> ToolListChange | None:
        """The last change of ``server``'s tool list, if it ever changed."""
        async with self._database.reading() as session:
            row = await session.get(MCPToolList, server)
        if row is None or row.previous_names is None or row.changed_at is None:
            return None
        return _change(server, json.loads(row.previous_names), json.loads(row.names), row.changed_at)


def _change(server: str, before: Mapping[str, str], after: Mapping[str, str], at: datetime) -> ToolListChange:
    added = tuple(name for name in after if name not in before)
    removed = tuple(name for name in before if name not in after)
    changed = tuple(name for name in after if name in before and before[name] != after[name])
    return ToolListChange(server, added, removed, changed, at)


def _described(tool: ListedTool) -> dict[str, Any]:
    # Absent and null annotation values mean the same; clients differ in which they send.
    annotations = {key: value for key, value in (tool.annotations or {}).items() if value is not None}
    return {
        "description": tool.description or "",
        "inputSchema": tool.input_schema,
        "annotations": annotations,
    }


def _digest(value: object) -> str:
    return hashlib.sha256(_json(value).encode()).hexdigest()


def _json(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
