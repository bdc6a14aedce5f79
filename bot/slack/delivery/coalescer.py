"""Coalescing: an answer's text gathered and handed to Slack in batches, paced and within budget.

Deltas arrive many times a second; Slack takes an edit of one message about once a second, and
each method only as often as its tier allows. A background flusher writes what has gathered once
the message's interval has passed and the next call's method has a free slot, so while it waits
the text piles up into that one call. Text that a write could not place for lack of budget goes
back to the front of the line and is tried again after an interval, not in a tight loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

FLUSH_CHARS = 400  # this much text is written without waiting for the flush interval
MIN_RETRY_GAP = 0.05  # seconds before an interim write that found no budget is tried again


@dataclass(frozen=True, slots=True)
class Pacing:
    """How often an answer is written: deltas gather for ``flush_interval`` seconds (unless
    ``FLUSH_CHARS`` have), and one message is edited at most once per ``update_interval``."""

    flush_interval: float = 0.6
    update_interval: float = 1.0


class Coalescer:
    """Pending text and the flusher that writes it.

    ``method()`` names the Web API method the next write will use (None: nothing to wait for),
    ``ready(method)`` waits until it has a slot, and ``write()`` takes the pending text
    (``take``) and hands it to Slack, giving back what it could not place (``keep``).
    """

    def __init__(
        self,
        pacing: Pacing,
        *,
        method: Callable[[], str | None],
        ready: Callable[[str], Awaitable[None]],
        write: Callable[[], Awaitable[None]],
    ) -> None:
        self._pacing = pacing
        self._method = method
        self._ready = ready
        self._write = write
        self._pending = ""
        self._wake = asyncio.Event()
        self._flusher: asyncio.Task[None] | None = None
        self._last_flush = float("-inf")
        self._deferred = False  # the last write found no budget

    @property
    def pending(self) -> str:
        return self._pending

    def add(self, text: str) -> None:
        self._pending += text
        if self._pending:
            self._wake.set()

    def take(self) -> str:
        """All pending text, for a write now."""
        text, self._pending = self._pending, ""
        self._last_flush = asyncio.get_running_loop().time()
        return text

    def keep(self, text: str) -> None:
        """``text`` found no budget: first in line again, tried after an interval."""
        self._pending = text + self._pending
        self._deferred = True

    def placed(self) -> None:
        """The last write went through."""
        self._deferred = False

    def start(self, name: str) -> None:
        self._flusher = asyncio.create_task(self._flush_when_due(), name=name)

    async def stop(self) -> None:
        """Stop the flusher; called with the writer's lock held, so never mid-call to Slack."""
        if self._flusher is None:
            return
        flusher, self._flusher = self._flusher, None
        flusher.cancel()
        try:
            await flusher
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("slack flusher %s crashed; finishing without it", flusher.get_name())

    async def _flush_when_due(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if not self._pending:
                self._wake.clear()
                await self._wake.wait()
            delay = self._last_flush + self._min_gap() - loop.time()
            if delay > 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await self._wake.wait()
                continue
            method = self._method()
            if method is not None:
                await self._ready(method)  # text keeps piling up meanwhile
            await self._write()

    def _min_gap(self) -> float:
        pacing = self._pacing
        if self._deferred:
            return max(pacing.update_interval, pacing.flush_interval, MIN_RETRY_GAP)
        # Edits of one message at most once per update interval; stream appends are cheap (Tier 4,
        # budgeted per workspace) and a message's first write goes at once.
        gap = pacing.update_interval if self._method() == "chat.update" else 0.0
        if len(self._pending) >= FLUSH_CHARS:
            return gap
        return max(pacing.flush_interval, gap)
