"""Coalescing (``bot.slack.delivery.coalescer``): deltas gathered into few writes, paced and retried.

The coalescer hands its text to a writer given as three callables; here that writer records each
write and when it happened, on the real event loop. Pacing is checked as lower bounds on the time
between writes, so a slow machine cannot make these tests fail.
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.slack.delivery.coalescer import FLUSH_CHARS, Coalescer, Pacing
from tests.manual_clock import until

SLACK_CLOCK_SLACK = 0.005  # asyncio timers may fire a hair early


class Writer:
    """Takes the coalescer's pending text on each write; refuses the first ``refusals`` for budget."""

    def __init__(self, pacing: Pacing, method: str | None, *, refusals: int = 0) -> None:
        self.method = method
        self.refusals = refusals
        self.written: list[tuple[float, str]] = []
        self.refused_at: list[float] = []
        self.waited_for: list[str] = []
        self.coalescer = Coalescer(pacing, method=lambda: self.method, ready=self._ready, write=self._write)

    def texts(self) -> list[str]:
        return [text for _, text in self.written]

    async def _ready(self, method: str) -> None:
        self.waited_for.append(method)

    async def _write(self) -> None:
        now = asyncio.get_running_loop().time()
        text = self.coalescer.take()
        if self.refusals:
            self.refusals -= 1
            self.refused_at.append(now)
            self.coalescer.keep(text)
            return
        self.written.append((now, text))
        self.coalescer.placed()


async def test_pieces_that_arrive_together_go_in_one_write_after_waiting_for_the_budget() -> None:
    writer = Writer(Pacing(flush_interval=0.01, update_interval=0.0), "chat.postMessage")
    for piece in ("OPS-2 ", "is ", "blocked."):
        writer.coalescer.add(piece)
    writer.coalescer.start("test-flush")
    await until(lambda: bool(writer.written))
    await writer.coalescer.stop()

    assert writer.texts() == ["OPS-2 is blocked."]
    assert writer.waited_for == ["chat.postMessage"]


async def test_edits_of_one_message_are_spaced_by_the_update_interval() -> None:
    writer = Writer(Pacing(flush_interval=0.0, update_interval=0.1), "chat.update")
    writer.coalescer.start("test-flush")
    for n in range(3):
        writer.coalescer.add(f"part {n} ")
        await until(lambda n=n: len(writer.written) == n + 1)  # type: ignore[misc]
    await writer.coalescer.stop()

    times = [at for at, _ in writer.written]
    assert all(
        later - earlier >= 0.1 - SLACK_CLOCK_SLACK for earlier, later in zip(times, times[1:], strict=False)
    )
    assert writer.texts() == ["part 0 ", "part 1 ", "part 2 "]


async def test_stream_appends_are_not_held_back_by_the_update_interval() -> None:
    writer = Writer(Pacing(flush_interval=0.0, update_interval=60.0), "chat.appendStream")
    writer.coalescer.start("test-flush")
    writer.coalescer.add("one ")
    await until(lambda: len(writer.written) == 1)
    writer.coalescer.add("two")
    await until(lambda: len(writer.written) == 2)
    await writer.coalescer.stop()

    assert writer.texts() == ["one ", "two"]


async def test_after_the_first_write_short_pieces_wait_for_the_flush_interval_and_long_ones_do_not() -> None:
    writer = Writer(Pacing(flush_interval=60.0, update_interval=0.0), None)
    writer.coalescer.add("first")
    writer.coalescer.start("test-flush")
    await until(lambda: bool(writer.written))  # a message's first text goes at once
    writer.coalescer.add("short")
    await asyncio.sleep(0.05)
    assert writer.texts() == ["first"]  # a short piece waits for more

    writer.coalescer.add("x" * FLUSH_CHARS)
    await until(lambda: len(writer.written) == 2)
    await writer.coalescer.stop()
    assert writer.texts() == ["first", "short" + "x" * FLUSH_CHARS]
    assert writer.waited_for == []  # no method named: nothing to wait for


async def test_text_that_found_no_budget_goes_first_after_an_interval_with_what_came_meanwhile() -> None:
    writer = Writer(Pacing(flush_interval=0.0, update_interval=0.1), "chat.appendStream", refusals=1)
    writer.coalescer.add("first ")
    writer.coalescer.start("test-flush")
    await until(lambda: bool(writer.refused_at))
    writer.coalescer.add("second")
    await until(lambda: bool(writer.written))
    await writer.coalescer.stop()

    [(written_at, text)] = writer.written
    assert text == "first second"
    assert written_at - writer.refused_at[0] >= 0.1 - SLACK_CLOCK_SLACK  # not retried in a tight loop


async def test_a_crashed_flusher_is_logged_and_stopping_it_does_not_raise(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken() -> None:
        raise RuntimeError("slack client went away")

    coalescer = Coalescer(
        Pacing(0.0, 0.0), method=lambda: None, ready=lambda _: asyncio.sleep(0), write=broken
    )
    coalescer.add("text")
    with caplog.at_level(logging.ERROR):
        coalescer.start("slack-flush-1.0")
        await asyncio.sleep(0.01)
        await coalescer.stop()
        await coalescer.stop()  # a second stop is harmless

    assert "slack flusher slack-flush-1.0 crashed" in caplog.text
