"""The console's prompt: the lines typed at it, and what Ctrl-C and Ctrl-D mean there.

Ctrl-C arrives as a callback on the event loop (``loop.add_signal_handler``), never as a
``KeyboardInterrupt`` tearing a task down half-way. During a command the first Ctrl-C stops it
(an answer is stopped as Slack's Stop button does: it ends interrupted, its partial text kept);
at an idle prompt it says how to leave. A second Ctrl-C in a row leaves, as does Ctrl-D at the
prompt. Typing a line starts the count again.

Lines are read from the terminal's file descriptor when it becomes readable, not by a thread
blocked in ``readline``: a process leaving with nothing typed must not wait for one more line.
"""

from __future__ import annotations

import asyncio
import codecs
import os
import signal
import threading
from collections.abc import Awaitable, Callable, Coroutine
from types import TracebackType
from typing import Any, TextIO

from rich.console import Console
from rich.text import Text

HINT = "(Ctrl-C again or Ctrl-D to leave)"
STOPPED = "  ⚠ stopped"


class Prompt:
    """Reads lines and runs commands; ``leaving`` turns True once the user has asked to go."""

    def __init__(self, console: Console, stdin: TextIO) -> None:
        self._console = console
        self._stdin = stdin
        self._pressed = asyncio.Event()
        self._strikes = 0  # Ctrl-C presses in a row since the last line typed
        self._lines: _Lines | None = None
        self._next: asyncio.Task[str | None] | None = None
        self._handling = False
        self.leaving = False

    def __enter__(self) -> Prompt:
        try:
            asyncio.get_running_loop().add_signal_handler(signal.SIGINT, self._interrupted)
            self._handling = True
        except (NotImplementedError, RuntimeError, ValueError):
            pass  # Windows, or not the main thread: Ctrl-C stays a KeyboardInterrupt
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._handling:
            asyncio.get_running_loop().remove_signal_handler(signal.SIGINT)
        if self._next is not None:
            self._next.cancel()
        if self._lines is not None:
            self._lines.close()

    async def read(self, prompt: Text) -> str | None:
        """The next line typed, without its line break; None when the user leaves."""
        while not self.leaving:
            self._console.print(prompt, end="", soft_wrap=True)
            pending = self._next_line()
            if await self._pressed_first(pending):
                self._console.file.write("\n")
                if self._strikes >= 2:
                    self.leaving = True
                else:
                    self._say(Text(HINT, style="dim"))
                continue
            line = pending.result()
            if line is None:  # Ctrl-D, or the end of piped input
                self._console.file.write("\n")
                self.leaving = True
                break
            self._next = None
            self._strikes = 0
            return line.rstrip("\r")
        return None

    async def run(self, command: Coroutine[Any, Any, bool], stop: Callable[[], Awaitable[bool]]) -> bool:
        """Run a command to its end and return what it returns (False: the user wants to leave).

        The first Ctrl-C calls ``stop`` (the thread's runs); when nothing was running there, the
        command itself is cancelled. A second Ctrl-C cancels it and leaves.
        """
        task = asyncio.ensure_future(command)
        while await self._pressed_first(task):
            if self._strikes >= 2:
                self.leaving = True
                task.cancel()
                break
            if not await stop():
                task.cancel()
                self._say(Text(STOPPED, style="red"))
                break
        try:
            carry_on = await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # the console itself is being cancelled, not just its command
            carry_on = True
        return carry_on and not self.leaving

    def _interrupted(self) -> None:
        self._strikes += 1
        self._pressed.set()

    async def _pressed_first(self, work: asyncio.Future[Any]) -> bool:
        """Wait for ``work`` to be done; True instead if Ctrl-C is pressed first (``work`` goes on)."""
        if work.done():
            return False
        pressed = asyncio.ensure_future(self._pressed.wait())
        try:
            await asyncio.wait({work, pressed}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            pressed.cancel()
        if self._pressed.is_set():
            self._pressed.clear()
            return True
        return False

    def _next_line(self) -> asyncio.Task[str | None]:
        # The same pending read across Ctrl-Cs: a line typed meanwhile is not lost.
        if self._lines is None:
            self._lines = _Lines(self._stdin)
        if self._next is None:
            self._next = asyncio.ensure_future(self._lines.get())
        return self._next

    def _say(self, text: Text) -> None:
        self._console.print(text)


class _Lines:
    """Lines from a file, read when its descriptor is readable (a thread where it cannot be
    watched: a regular file, or a loop without ``add_reader``)."""

    def __init__(self, stdin: TextIO) -> None:
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._decoder = codecs.getincrementaldecoder(stdin.encoding or "utf-8")(errors="replace")
        self._buffer = ""
        self._fd: int | None = None
        try:
            fd = stdin.fileno()
            self._loop.add_reader(fd, self._readable, fd)
            self._fd = fd
        except (AttributeError, OSError, ValueError, NotImplementedError):
            thread = threading.Thread(target=self._read_blocking, args=(stdin,), daemon=True)
            thread.start()

    async def get(self) -> str | None:
        return await self._queue.get()

    def close(self) -> None:
        if self._fd is not None:
            self._loop.remove_reader(self._fd)
            self._fd = None

    def _readable(self, fd: int) -> None:
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""  # the terminal went away: as good as Ctrl-D
        self._buffer += self._decoder.decode(data, final=not data)
        *lines, self._buffer = self._buffer.split("\n")
        for line in lines:
            self._queue.put_nowait(line)
        if not data:
            if self._buffer:
                self._queue.put_nowait(self._buffer)
                self._buffer = ""
            self._queue.put_nowait(None)
            self.close()

    def _read_blocking(self, stdin: TextIO) -> None:
        while True:
            line = stdin.readline()
            try:
                self._loop.call_soon_threadsafe(
                    self._queue.put_nowait, line.removesuffix("\n") if line else None
                )
            except RuntimeError:
                return  # the loop has closed: nobody is reading any more
            if not line:
                return
