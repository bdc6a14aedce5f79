"""`chatops console` in a real pseudo-terminal: the process is the CLI itself, its upstreams the
simulators on loopback, and Ctrl-C is the byte the terminal turns into SIGINT.

What a person at a terminal sees: the answer rendered as Markdown, the first Ctrl-C during an
answer stopping it (partial text kept, "stopped", the prompt again), a second one leaving within
2 s, and the thread saved with the stopped run recorded as interrupted.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import pty
import signal
import sqlite3
import struct
import sys
import termios
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

from bot.runs import STOPPED
from simulators.github import GitHubSimulator
from simulators.jira import JiraSimulator
from simulators.llm import LLMSimulator

CTRL_C = b"\x03"
CTRL_D = b"\x04"
PROMPT = b"you> "
MARKDOWN = "## Where it stands\n\n**OPS-2** waits on OPS-1.\n\n- the retry fix is in review\n- CI is failing"
LONG = " ".join(f"w{n:03d}" for n in range(400))  # streamed slowly enough to be stopped mid-way
LEAVE_WITHIN = 2.0  # seconds from the second Ctrl-C to the process's exit: the bound
BOLD = b"\x1b[1m"


class Terminal:
    """A child process on a pseudo-terminal of 100 x 40: what it wrote, what is typed to it."""

    def __init__(self, pid: int, master: int) -> None:
        self.pid = pid
        self._master = master
        self.output = b""
        self._seen = 0  # how far `expect` has read

    def type(self, data: bytes) -> None:
        os.write(self._master, data)

    async def expect(self, wanted: bytes, within: float = 20.0) -> bytes:
        """Wait until ``wanted`` is written after what the last expect matched; the text up to it."""
        deadline = time.monotonic() + within
        while (found := self.output.find(wanted, self._seen)) < 0:
            if time.monotonic() > deadline or not self._read():
                tail = self.output[-1500:].decode(errors="replace")
                raise AssertionError(f"{wanted!r} not written within {within} s; the end was:\n{tail}")
            await asyncio.sleep(0.02)
        start, self._seen = self._seen, found + len(wanted)
        return self.output[start : self._seen]

    async def exit_code(self, within: float) -> int | None:
        """The exit status, or None when the process is still running after ``within`` s."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            self._read()
            if (code := self._exited()) is not None:
                return code
            await asyncio.sleep(0.02)
        return None

    def _exited(self) -> int | None:
        pid, status = os.waitpid(self.pid, os.WNOHANG)  # WNOHANG: never blocks
        return os.waitstatus_to_exitcode(status) if pid else None

    def _read(self) -> bool:
        """Take what the child wrote; False once the terminal has closed."""
        try:
            chunk = os.read(self._master, 65536)
        except BlockingIOError:
            return True
        except OSError:  # EIO: the child has gone
            return False
        self.output += chunk
        return bool(chunk)


@contextmanager
def terminal(argv: list[str], env: dict[str, str], cwd: Path) -> Iterator[Terminal]:
    pid, master = pty.fork()
    if pid == 0:  # the child: exec at once, before anything of this process can run
        os.chdir(cwd)
        os.execve(argv[0], argv, env)
    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
    os.set_blocking(master, False)
    try:
        yield Terminal(pid, master)
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(master)


@asynccontextmanager
async def console(tmp_path: Path, llm: LLMSimulator) -> AsyncIterator[Terminal]:
    """`python -m bot console` on a terminal, against the simulators, with its database in tmp_path."""
    async with JiraSimulator() as jira, GitHubSimulator() as github:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "TERM": "xterm-256color",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'console.db'}",
            "JIRA_BASE_URL": jira.url,
            "JIRA_EMAIL": "me@acme.test",
            "JIRA_API_TOKEN": "token",
            "GITHUB_API_URL": github.url,
            "GITHUB_TOKEN": "ghp_token",
            "LLM_BASE_URL": llm.base_url,
            "LLM_API_KEY": "sk-key",
            "LOG_LEVEL": "WARNING",
        }
        with terminal([sys.executable, "-m", "bot", "console"], env, tmp_path) as term:
            yield term


def runs_recorded(database: Path) -> list[tuple[str, str, str | None]]:
    with sqlite3.connect(database) as db:
        return db.execute(
            "SELECT c.thread_ts, r.status, r.error FROM runs r"
            " JOIN conversations c ON c.id = r.conversation_id WHERE c.team_id = 'console'"
            " ORDER BY r.created_at"
        ).fetchall()


async def test_markdown_renders_live_the_first_ctrl_c_stops_the_answer_the_second_leaves(
    tmp_path: Path,
) -> None:
    async with LLMSimulator(chunk_delay=0) as llm, console(tmp_path, llm) as term:
        llm.script([MARKDOWN, LONG])
        await term.expect(PROMPT, within=60)

        term.type(CTRL_C)  # at an idle prompt: a hint, and the prompt again
        await term.expect(b"Ctrl-C again or Ctrl-D to leave")
        await term.expect(PROMPT)

        term.type(b"why is OPS-2 blocked?\r")
        answer = await term.expect(b"model call(s)")
        assert BOLD + b"OPS-2" in answer, "**OPS-2** is shown bold, not with its asterisks"
        assert b"\xe2\x80\xa2 \x1b[0mthe retry fix is in review" in answer, "a list item gets a bullet"
        assert b"Where it stands" in answer and b"## " not in answer
        await term.expect(PROMPT)

        llm.chunk_delay, llm.words_per_delta = 0.05, 1
        term.type(b"and everything else?\r")
        await term.expect(b"w020")
        term.type(CTRL_C)
        stopped = await term.expect(b"stopped")
        await term.expect(PROMPT)
        assert b"w399" not in term.output, "the answer was cut short, not finished"
        assert b"w019" in stopped, "what had streamed stays on screen"

        term.type(CTRL_C)
        pressed = time.monotonic()
        code = await term.exit_code(within=LEAVE_WITHIN + 3)
        left_after = time.monotonic() - pressed

    assert code == 0, term.output[-1500:].decode(errors="replace")
    assert left_after < LEAVE_WITHIN, f"left {left_after:.1f} s after the second Ctrl-C"
    assert b"Traceback" not in term.output, term.output.decode(errors="replace")[-6000:]
    (first, second) = runs_recorded(tmp_path / "console.db")
    assert first[1] == "succeeded" and second[1:] == ("interrupted", STOPPED)
    assert first[0] == second[0], "both questions were asked in one console thread"


async def test_ctrl_d_at_the_prompt_leaves_at_once(tmp_path: Path) -> None:
    async with LLMSimulator(chunk_delay=0) as llm, console(tmp_path, llm) as term:
        await term.expect(PROMPT, within=60)
        term.type(CTRL_D)
        pressed = time.monotonic()
        code = await term.exit_code(within=LEAVE_WITHIN + 3)
        assert code == 0 and time.monotonic() - pressed < LEAVE_WITHIN
