"""Bolt middleware that lets each Slack delivery do its work once.

Slack delivers again what it thinks went unanswered: an Events API callback keeps its
``event_id`` (``drop_redeliveries``, for the whole app, drops it before any listener runs), a
slash command or a shortcut keeps its ``trigger_id`` (``once_per_trigger``, attached to the
listeners that start work, lets it through once). Two processes behind one URL see the same
keys, and the claim is a row in the shared store, so exactly one of them handles it. A
duplicate is still acknowledged, because Slack wants its ack, and goes no further.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from slack_bolt.response import BoltResponse

from bot.store import Store

log = logging.getLogger(__name__)

Next = Callable[[], Awaitable[None]]
Middleware = Callable[[dict[str, Any], Next], Awaitable[BoltResponse | None]]
Trigger = Literal["command", "shortcut"]


def drop_redeliveries(store: Store) -> Middleware:
    """App middleware: an event whose ``event_id`` was handled before is acked and dropped."""

    async def drop_redeliveries(body: dict[str, Any], next: Next) -> BoltResponse | None:
        event_id = body.get("event_id") if isinstance(body, dict) else None
        if event_id and not await store.claim(f"event:{event_id}"):
            log.info("dropping redelivery of event %s", event_id)
            return _acked()
        await next()
        return None

    return drop_redeliveries


def once_per_trigger(store: Store, kind: Trigger) -> Middleware:
    """Listener middleware: the listener runs for the first delivery of a ``trigger_id`` only.

    Attach it to listeners that post or start a run (``app.command(..., middleware=[...])``).
    """

    async def once_per_trigger(body: dict[str, Any], next: Next) -> BoltResponse | None:
        trigger_id = str(body.get("trigger_id") or "")
        # Without a trigger id there is nothing to tell a duplicate by; letting it run loses nothing.
        if trigger_id and not await store.claim(f"{kind}:{trigger_id}"):
            log.info("dropping redelivery of %s %s", kind, trigger_id)
            return _acked()
        await next()
        return None

    return once_per_trigger


def _acked() -> BoltResponse:
    # Returned without calling next(): Bolt sends it as the ack and runs no listener.
    return BoltResponse(status=200, body="")
