"""Bolt middleware that lets each Slack delivery do its work once.

Slack delivers again what it thinks went unanswered: an Events API callback keeps its
``event_id`` (``drop_redeliveries``, for the whole app, drops it before any listener runs), a
slash command or a shortcut keeps its ``trigger_id`` (``once_per_trigger``, attached to the
listeners that start work, lets it through once). Two processes behind one URL see the same
keys, and the claim is a row in the shared store, so exactly one of them handles it. A
duplicate is still acknowledged, because Slack wants its ack, and goes no further.

The trigger claim is a database write, so it is made right *after* the listener's ack, never
before: a burst of commands on SQLite's single writer must not hold their acks (Slack allows
three seconds). The listener's ``ack`` is replaced by one that acknowledges, then claims, and
on a duplicate stops the listener with `DuplicateDelivery` before it does anything else;
``listener_errors`` (the app's error handler) lets that one pass quietly.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.store import Store

log = logging.getLogger(__name__)

Next = Callable[[], Awaitable[None]]
Middleware = Callable[[dict[str, Any], Next], Awaitable[BoltResponse | None]]
ListenerMiddleware = Callable[[dict[str, Any], dict[str, Any], Next], Awaitable[None]]
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


class DuplicateDelivery(Exception):
    """A repeated trigger, found by the claim after its ack went out: the listener stops there."""


class ClaimingAck(AsyncAck):
    """The listener's ``ack()``: acknowledges first, then claims the trigger (once, however often
    it is called); for a delivery that was claimed before, it raises `DuplicateDelivery`.

    Only a bare ``ack()`` claims: it is the one a listener makes before it posts or starts a run.
    An ack that carries the answer itself ends the listener, and a duplicate of it may answer again.
    """

    def __init__(self, claim: Callable[[], Awaitable[bool]], what: str) -> None:
        self._sent: BoltResponse | None = None
        super().__init__()  # type: ignore[no-untyped-call]  # Bolt's own __init__ is not annotated
        self._claim = claim
        self._what = what
        self._first: bool | None = None

    @property  # a guarded attribute in place of Bolt's plain one
    def response(self) -> BoltResponse | None:
        return self._sent

    @response.setter
    def response(self, value: BoltResponse | None) -> None:
        # When a listener fails after its ack, Bolt clears the ack's response; Slack must still get
        # the ack that was made (else Bolt answers 404 after its timeout), so a made ack stays.
        if value is not None or self._sent is None:
            self._sent = value

    async def __call__(self, *args: Any, **kwargs: Any) -> BoltResponse:
        response = await super().__call__(*args, **kwargs)  # Bolt answers Slack with this now
        if args or any(value is not None for value in kwargs.values()):
            # An ack that answers (a usage line, a list) is all the listener does: nothing to claim.
            return response
        if self._first is None:
            self._first = await self._claim()
        if not self._first:
            raise DuplicateDelivery(self._what)
        return response


def once_per_trigger(store: Store, kind: Trigger) -> ListenerMiddleware:
    """Listener middleware: the listener runs past its ``ack()`` for the first delivery of a
    ``trigger_id`` only.

    Attach it to listeners that post or start a run (``app.command(..., middleware=[...])``).
    """

    async def once_per_trigger(body: dict[str, Any], context: dict[str, Any], next: Next) -> None:
        trigger_id = str(body.get("trigger_id") or "")
        # Without a trigger id there is nothing to tell a duplicate by; letting it run loses nothing.
        if trigger_id:
            key = f"{kind}:{trigger_id}"
            context["ack"] = ClaimingAck(lambda: store.claim(key), key)
        await next()

    return once_per_trigger


async def listener_errors(
    error: Exception, request: AsyncBoltRequest, response: BoltResponse | None, logger: logging.Logger
) -> BoltResponse | None:
    """The app's error handler: Bolt's own (log with the traceback), but a duplicate is routine and
    answered with the ack it made (where Bolt still waits for a response to send)."""
    if isinstance(error, DuplicateDelivery):
        log.info("dropping redelivery of %s", error)
        acked = request.context.ack.response
        return acked if response is not None and acked is not None else None
    logger.exception(f"Failed to run listener function (error: {error})", exc_info=error)
    return None


def _acked() -> BoltResponse:
    # Returned without calling next(): Bolt sends it as the ack and runs no listener.
    return BoltResponse(status=200, body="")
