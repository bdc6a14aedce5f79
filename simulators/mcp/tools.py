"""The SIMULATED MCP server's tools: reads and writes on the ``Desk``, each annotated.

Reads say ``readOnlyHint: true``; ``incident_acknowledge`` is a non-destructive idempotent write;
``flag_set`` is destructive. ``incident_resolve`` is MIS-ANNOTATED on purpose: it claims
``readOnlyHint: true`` yet resolves the incident, so tests can check that a client which does
not trust annotations still asks before calling it. Tool list version 2 rewords
``incident_get`` and adds ``flag_delete``, for the "tool list changed" check.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import Field

from simulators.mcp.desk import Desk, UnknownItem

TOOL_LIST_VERSIONS = (1, 2)

IncidentId = Annotated[str, Field(description="The incident's key, e.g. INC-101.")]
FlagName = Annotated[str, Field(description="The feature flag's name, e.g. checkout-v2.")]

READ = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)
ADDITIVE_WRITE = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)
DESTRUCTIVE_WRITE = ToolAnnotations(
    read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=False
)
# The lie: this tool changes state.
MISLABELLED_WRITE = READ


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """One tool as registered on the server: its function, name, words and annotations."""

    fn: Callable[..., Any]  # returns the result, or an awaitable of it
    name: str
    title: str
    description: str
    annotations: ToolAnnotations


@contextmanager
def _as_tool_error() -> Iterator[None]:
    """An unknown incident or flag becomes a tool error the client sees, not a protocol failure."""
    try:
        yield
    except UnknownItem as error:
        raise ToolError(str(error)) from None


def _reads(desk: Desk, version: int) -> list[ToolSpec]:
    def incidents_list() -> dict[str, Any]:
        desk.record("incidents_list", {})
        return {"incidents": [incident.as_dict() for incident in desk.incidents.values()]}

    def incident_get(id: IncidentId) -> dict[str, Any]:
        desk.record("incident_get", {"id": id})
        with _as_tool_error():
            incident = desk.incident(id)
        return incident.as_dict()

    def flag_get(name: FlagName) -> dict[str, Any]:
        desk.record("flag_get", {"name": name})
        with _as_tool_error():
            enabled = desk.flag(name)
        return {"name": name, "enabled": enabled}

    get_words = "Get one incident by key." if version == 1 else "Get one incident by key, with its notes."
    return [
        ToolSpec(incidents_list, "incidents_list", "List incidents", "List every incident.", READ),
        ToolSpec(incident_get, "incident_get", "Get incident", get_words, READ),
        ToolSpec(flag_get, "flag_get", "Get flag", "Tell whether a feature flag is on.", READ),
    ]


def _incident_writes(desk: Desk) -> list[ToolSpec]:
    async def incident_acknowledge(
        id: IncidentId, note: Annotated[str, Field(description="Why, or who is on it.")]
    ) -> dict[str, Any]:
        if not await desk.admit():
            raise ToolError("the request was dropped before it took effect")
        desk.record("incident_acknowledge", {"id": id, "note": note})
        with _as_tool_error():
            incident = desk.incident(id)
        if incident.status == "open":
            incident.status = "acknowledged"
        if note not in incident.notes:
            incident.notes.append(note)
        return incident.as_dict()

    def incident_resolve(id: IncidentId) -> dict[str, Any]:
        desk.record("incident_resolve", {"id": id})
        with _as_tool_error():
            incident = desk.incident(id)
        incident.status = "resolved"
        return incident.as_dict()

    acknowledge_words = "Acknowledge an incident and add a note; it stays open until resolved."
    return [
        ToolSpec(
            incident_acknowledge,
            "incident_acknowledge",
            "Acknowledge incident",
            acknowledge_words,
            ADDITIVE_WRITE,
        ),
        ToolSpec(
            incident_resolve,
            "incident_resolve",
            "Resolve incident",
            "Mark an incident resolved.",
            MISLABELLED_WRITE,
        ),
    ]


def _flag_writes(desk: Desk, version: int) -> list[ToolSpec]:
    def flag_set(name: FlagName, enabled: Annotated[bool, Field(description="On or off.")]) -> dict[str, Any]:
        desk.record("flag_set", {"name": name, "enabled": enabled})
        with _as_tool_error():
            desk.flag(name)
        desk.flags[name] = enabled
        return {"name": name, "enabled": enabled}

    def flag_delete(name: FlagName) -> dict[str, Any]:
        desk.record("flag_delete", {"name": name})
        with _as_tool_error():
            enabled = desk.flag(name)
        del desk.flags[name]
        return {"name": name, "deleted": True, "was_enabled": enabled}

    specs = [ToolSpec(flag_set, "flag_set", "Set flag", "Turn a feature flag on or off.", DESTRUCTIVE_WRITE)]
    if version >= 2:
        specs.append(
            ToolSpec(flag_delete, "flag_delete", "Delete flag", "Delete a feature flag.", DESTRUCTIVE_WRITE)
        )
    return specs


def tool_specs(desk: Desk, version: int) -> list[ToolSpec]:
    """The tools of one tool list version, bound to ``desk``."""
    if version not in TOOL_LIST_VERSIONS:
        raise ValueError(f"tool_list_version must be one of {TOOL_LIST_VERSIONS}, not {version!r}")
    return [*_reads(desk, version), *_incident_writes(desk), *_flag_writes(desk, version)]


def install(server: MCPServer, specs: list[ToolSpec], *, replacing: Sequence[ToolSpec] = ()) -> None:
    """Make ``specs`` the server's tool list, removing the ``replacing`` tools installed before."""
    for old in replacing:
        server.remove_tool(old.name)
    for spec in specs:
        server.add_tool(
            spec.fn,
            name=spec.name,
            title=spec.title,
            description=spec.description,
            annotations=spec.annotations,
            structured_output=True,
        )
