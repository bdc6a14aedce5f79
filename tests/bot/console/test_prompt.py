"""The prompt on its own: lines from a pipe or a file, and Ctrl-C as the SIGINT it is.

The whole console in a real terminal is tests/bot/console/test_terminal.py; here each rule of the
prompt is checked in-process, with the signal sent to this process.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import pytest
from rich.console import Console
from rich.text import Text

from bot.console.prompt import HINT, Prompt

YOU = Text("you> ")


@pytest.fixture(autouse=True)
def sigint_restored() -> Iterator[None]:
    """Whatever SIGINT did before the test, it does again after (the prompt changes it)."""
    before = signal.getsignal(signal.SIGINT)
    yield
    signal.signal(signal.SIGINT, before)


@pytest.fixture
def pipe() -> Iterator[tuple[TextIO, int]]:
    """A pipe as the prompt's stdin: its reading end as a text file, and its writing end's fd."""
    read_end, write_end = os.pipe()
    with open(read_end, encoding="utf-8") as stdin:
        yield stdin, write_end
    with contextlib.suppress(OSError):
        os.close(write_end)


def plain(out: io.StringIO) -> Console:
    return Console(file=out, force_terminal=False)


def press_ctrl_c() -> None:
    assert signal.getsignal(signal.SIGINT) is not signal.default_int_handler, "the prompt handles it"
    os.kill(os.getpid(), signal.SIGINT)


async def test_lines_from_a_pipe_come_without_their_breaks_and_its_end_leaves(
    pipe: tuple[TextIO, int],
) -> None:
    stdin, write_end = pipe
    os.write(write_end, "first\nsecond, ünïcode\n".encode())
    os.close(write_end)
    with Prompt(plain(io.StringIO()), stdin) as prompt:
        assert await prompt.read(YOU) == "first"
        assert await prompt.read(YOU) == "second, ünïcode"
        assert await prompt.read(YOU) is None and prompt.leaving


async def test_lines_from_a_file_are_read_too(tmp_path: Path) -> None:
    script = tmp_path / "script.txt"
    script.write_text("/jira OPS-2\n/quit")
    with script.open(encoding="utf-8") as stdin, Prompt(plain(io.StringIO()), stdin) as prompt:
        assert [await prompt.read(YOU), await prompt.read(YOU), await prompt.read(YOU)] == [
            "/jira OPS-2",
            "/quit",
            None,
        ]


async def test_ctrl_c_during_a_command_cancels_it_when_no_run_was_stopped() -> None:
    out = io.StringIO()
    stops: list[str] = []

    async def stop() -> bool:
        stops.append("asked")
        return False  # nothing was running in the thread

    async def forever() -> bool:
        await asyncio.Event().wait()
        return True

    with Prompt(plain(out), io.StringIO()) as prompt:
        running = asyncio.create_task(prompt.run(forever(), stop))
        await asyncio.sleep(0.05)
        press_ctrl_c()
        assert await asyncio.wait_for(running, 5) is True, "the console goes on"
    assert stops == ["asked"] and out.getvalue() == "  ⚠ stopped\n" and not prompt.leaving


async def test_ctrl_c_stops_the_runs_and_lets_the_command_end_then_a_second_leaves() -> None:
    answered = asyncio.Event()

    async def stop() -> bool:
        answered.set()  # the stopped run ends, and with it the command waiting for it
        return True

    async def answer() -> bool:
        await answered.wait()
        return True

    async def forever() -> bool:
        await asyncio.Event().wait()
        return True

    with Prompt(plain(io.StringIO()), io.StringIO()) as prompt:
        running = asyncio.create_task(prompt.run(answer(), stop))
        await asyncio.sleep(0.05)
        press_ctrl_c()
        assert await asyncio.wait_for(running, 5) is True

        running = asyncio.create_task(prompt.run(forever(), stop))
        await asyncio.sleep(0.05)
        press_ctrl_c()
        assert await asyncio.wait_for(running, 5) is False and prompt.leaving


async def test_at_an_idle_prompt_ctrl_c_says_how_to_leave_and_a_second_leaves(
    pipe: tuple[TextIO, int],
) -> None:
    out = io.StringIO()
    stdin, write_end = pipe
    with Prompt(plain(out), stdin) as prompt:
        reading = asyncio.create_task(prompt.read(YOU))
        await asyncio.sleep(0.05)
        press_ctrl_c()
        await asyncio.sleep(0.05)
        assert HINT in out.getvalue() and not reading.done()
        os.write(write_end, b"typed meanwhile\n")
        assert await asyncio.wait_for(reading, 5) == "typed meanwhile"

        reading = asyncio.create_task(prompt.read(YOU))
        for _ in range(2):
            await asyncio.sleep(0.05)
            press_ctrl_c()
        assert await asyncio.wait_for(reading, 5) is None and prompt.leaving
