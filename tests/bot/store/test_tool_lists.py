"""MCP servers' tool lists on SQLite and PostgreSQL: a change is reported once, by one observer."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from typing import Any

from bot.store.store import Store
from bot.store.tool_lists import ToolLists, fingerprint


@dataclass(frozen=True)
class Tool:
    name: str
    description: str | None = "Does it."
    input_schema: dict[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})
    annotations: dict[str, Any] | None = None


V1 = [Tool("incident_get"), Tool("flag_get"), Tool("flag_set", annotations={"readOnlyHint": False})]
V2 = [
    Tool("incident_get", description="Does it, and more."),
    Tool("flag_set", annotations={"readOnlyHint": False}),
    Tool("incident_close"),
]


async def test_the_first_sighting_is_no_change(store: Store) -> None:
    lists = ToolLists(store)
    assert await lists.observe("desk", V1) is None
    assert await lists.last("desk") is None


async def test_the_same_list_in_another_order_is_no_change(store: Store) -> None:
    lists = ToolLists(store)
    await lists.observe("desk", V1)
    assert await lists.observe("desk", list(reversed(V1))) is None
    assert await lists.last("desk") is None


async def test_a_different_list_reports_added_removed_and_changed_names(store: Store) -> None:
    lists = ToolLists(store)
    await lists.observe("desk", V1)
    change = await lists.observe("desk", V2)
    assert change is not None
    assert (change.added, change.removed, change.changed) == (
        ("incident_close",),
        ("flag_get",),
        ("incident_get",),
    )
    assert change.summary() == "+incident_close, -flag_get, ~incident_get"
    assert await lists.last("desk") == change
    # Seen again unchanged: no new change, and the last one is still there for doctor.
    assert await lists.observe("desk", V2) is None
    assert await lists.last("desk") == change


async def test_a_changed_schema_or_annotation_is_a_change(store: Store) -> None:
    lists = ToolLists(store)
    await lists.observe("desk", V1)
    schema = {"type": "object", "properties": {"force": {"type": "boolean"}}}
    changed = [replace(V1[0], input_schema=schema), V1[1], replace(V1[2], annotations={"readOnlyHint": True})]
    change = await lists.observe("desk", changed)
    assert change is not None and change.changed == ("flag_set", "incident_get")  # sorted


async def test_null_annotation_values_count_as_absent() -> None:
    assert fingerprint([Tool("a", annotations={"title": None})]) == fingerprint([Tool("a", annotations={})])


async def test_servers_are_kept_apart(store: Store) -> None:
    lists = ToolLists(store)
    await lists.observe("desk", V1)
    assert await lists.observe("flags", V2) is None


async def test_of_two_processes_seeing_the_same_change_one_reports_it(database_url: str) -> None:
    one, two = await Store.open(database_url), await Store.open(database_url)
    try:
        await ToolLists(one).observe("desk", V1)
        observers = [ToolLists(store) for store in (one, two) for _ in range(5)]
        changes = await asyncio.gather(*(lists.observe("desk", V2) for lists in observers))
    finally:
        await one.close()
        await two.close()
    assert len([change for change in changes if change is not None]) == 1
