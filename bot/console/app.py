"""`chatops console`: the same intake, durable runs and workflows, with the terminal as the chat.

A console conversation is a thread: every question until `/new` shares its history, which is
kept in the same database as Slack threads (team "console", channel "console"). The commands
are Slack's, with the same words; Ctrl-C is the Stop button (``bot.console.prompt``).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import sys
import time
from collections.abc import Awaitable, Iterable
from typing import TextIO

import pydantic_ai
from rich.console import Console
from rich.text import Text

from bot.console.approvals import ConsoleApprovals
from bot.console.cards import card_table, card_text
from bot.console.files import LocalFiles, local_file
from bot.console.prompt import Prompt
from bot.console.sink import ConsoleSink
from bot.console.workflows import standup_text, start_issue, start_triage
from bot.errors import InputRejected
from bot.lookup import Card, NextPage
from bot.ports import FileRef, OneSink, Origin
from bot.runs import details_for, is_details_request
from bot.services import Services
from bot.store import Asker
from bot.workflows import Inquiry

log = logging.getLogger(__name__)

HELP = """\
Type a question (or /ask <question>); /ask why shows how your last answer came about.
/new starts a new thread, /help shows this, /quit or Ctrl-D leaves. Ctrl-C stops an answer.
/attach PATH attaches a file (a log, a config, a screenshot) to your next question.
Direct look-ups (cards, no LLM):
  /jira OPS-123 · /jira <JQL> · /jira <words>     an issue · a list (/more for the next page) · words as JQL
  /jira count <JQL> · /jira transitions OPS-123    how many issues · the transitions open to an issue
  /jira projects                                   the projects the bot can read
  /gh owner/repo#42 · /gh owner/repo · /gh <query> a pull request or issue · PRs waiting for review · search
  /gh compare owner/repo main...branch             ahead/behind and the newest commits
  /gh runs owner/repo [branch]                     recent Actions workflow runs
  /gh jobs owner/repo <run id>                     the failed jobs of a run and their failed steps
  /gh log owner/repo <job id>                      the last lines of a job's log
Workflows (typed drafts; writes wait for your approve / deny / edit, or y / n / e):
  /standup [PROJECT owner/repo team]               in progress, blocked, waiting reviews, failing CI
  /triage OPS-123                                  component, severity, duplicates, owner; proposes updates
  /jira create [PROJECT] <words>                   a Jira issue drafted from this thread, made on approval"""
CONSOLE = "console"  # the team and channel of console threads
FAILED = "Something went wrong on my side; please try again."
LEAVE_SECONDS = 1.0  # how long leaving waits for the runs it stopped to record their end


class ConsoleSession:
    """One person at the terminal: their current thread, its proposals and the last list shown."""

    def __init__(self, services: Services, out: TextIO, *, user_id: str = "console-user") -> None:
        self._services = services
        self.console = terminal(out)
        self._user_id = user_id
        self._sink = ConsoleSink(self.console)
        services.runs.route("console", OneSink(self._sink))  # every run of this session prints here
        self.thread_ts = _new_thread_id()
        self._next_page: NextPage | None = None
        self._attached: list[FileRef] = []  # files for the next question (/attach)
        services.intake.read_files_with(LocalFiles())
        desk = services.desk  # proposed writes wait for the next line: approve / deny / edit
        self._approvals = (
            ConsoleApprovals(desk, services.runs, self.console, team_id=CONSOLE, user_id=user_id)
            if desk is not None
            else None
        )

    async def ask(self, text: str) -> None:
        """Ask in the current thread and wait until the answer has been printed."""
        if is_details_request(text):  # `/ask why`: how the last answer came about, as in Slack
            store = self._services.store
            self._print(await details_for(store, CONSOLE, CONSOLE, self._user_id), emoji=True)
            return
        files, self._attached = tuple(self._attached), []
        inquiry = Inquiry(CONSOLE, CONSOLE, self.thread_ts, self._user_id, text, "console", files)
        try:
            origin = Origin("console", CONSOLE, CONSOLE, self.thread_ts, self._user_id)
            await self._services.intake.accept(inquiry, origin)
        except InputRejected as rejected:
            self._print(rejected.message)
            return
        await self.settle()

    def attach(self, path: str) -> None:
        """Attach the file at ``path`` to the next question (read when that question runs)."""
        try:
            ref = local_file(path)
        except InputRejected as rejected:
            self._print(rejected.message)
            return
        self._attached.append(ref)
        self._print(f"(attached {ref.name}, {ref.size:,} bytes, to your next question)")

    async def settle(self) -> None:
        """Wait until the thread's runs have ended; then offer any proposed write for a decision."""
        await self._services.runs.wait_idle()
        if self._approvals is not None:
            await self._approvals.offer(CONSOLE, self.thread_ts)

    async def stop(self) -> bool:
        """Stop this thread's runs in flight, as Slack's Stop does (Ctrl-C); False if none was.

        Each ends interrupted with its partial answer left on screen.
        """
        store = self._services.store
        conversation = await store.find_conversation(CONSOLE, CONSOLE, self.thread_ts)
        if conversation is None:
            return False
        in_flight = [run.id for run in await store.runs(conversation) if not run.finished]
        stopped = [await self._services.intake.stop(run_id) for run_id in in_flight]
        return any(stopped)

    async def close(self) -> None:
        """Leave: what still runs in this thread is stopped, so that it ends recorded, not pending."""
        await self.stop()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(LEAVE_SECONDS):
                await self._services.runs.wait_idle()

    def new_thread(self) -> None:
        self.thread_ts = _new_thread_id()
        if self._approvals is not None:
            self._approvals.waiting = None  # it stays pending in its own thread
        self._print("(new thread)")

    async def handle(self, line: str) -> bool:
        """One line of input; returns False when the user wants to leave."""
        try:
            return await self._dispatch(line)
        except Exception:  # one failed command must not end the session
            log.exception("console command failed: %s", line.strip()[:80])
            self._print(FAILED)
            return True

    async def _dispatch(self, line: str) -> bool:
        command, _, rest = line.strip().partition(" ")
        if command in ("/quit", "/exit"):
            return False
        if (
            self._approvals is not None
            and self._approvals.waiting is not None
            and not command.startswith("/")
        ):
            await self._approvals.reply(line, self._sink)
        elif command == "/new":
            self.new_thread()
        elif command == "/help":
            self._print(HELP)
        elif command == "/ask":
            await self.ask(rest)
        elif command == "/attach":
            self.attach(rest)
        elif command == "/jira" and rest.split(" ", 1)[0].lower() == "create":
            await self._workflow(start_issue(self._services.workflows, self._asker(), rest[6:]))
        elif command == "/triage":
            await self._workflow(start_triage(self._services.workflows, self._asker(), rest))
        elif command == "/standup":
            self._print(await standup_text(self._services.workflows, self._asker(), rest))
        elif command == "/jira":
            self._show(await self._services.lookup.jira(rest))
        elif command == "/gh":
            self._show(await self._services.lookup.github(rest))
        elif command == "/more":
            await self.more()
        elif line.strip():
            await self.ask(line)
        return True

    async def more(self) -> None:
        """The next page of the last Jira list shown."""
        if self._next_page is None:
            self._print("Nothing more to show.")
            return
        self._show(await self._services.lookup.jira_page(self._next_page))

    async def play(self, script: Iterable[str], prompt: Prompt | None = None) -> bool:
        """Type each line of ``script`` in turn; False when it asked to leave (or Ctrl-C did)."""
        for line in script:
            self.console.print(Text(f"\nyou> {line}", style=_YOU), soft_wrap=True)
            going_on = await (
                self.handle(line) if prompt is None else prompt.run(self.handle(line), self.stop)
            )
            if not going_on:
                return False
        return True

    async def interact(self, prompt: Prompt) -> None:
        """Read and handle lines until /quit, Ctrl-D or a second Ctrl-C."""
        self._print(HELP)
        while (line := await prompt.read(Text("\nyou> ", style=_YOU))) is not None:
            if not await prompt.run(self.handle(line), self.stop):
                return

    def _asker(self) -> Asker:
        return Asker(CONSOLE, self._user_id, CONSOLE, self.thread_ts)

    async def _workflow(self, started: Awaitable[str | None]) -> None:
        """Wait for a workflow run started in this thread; print why, if it could not start."""
        problem = await started
        if problem is not None:
            self._print(problem)
            return
        await self.settle()

    def _show(self, card: Card) -> None:
        self._next_page = card.next_page
        if self.console.is_interactive:
            self.console.print(card_table(card))
        else:
            self._print(card_text(card))

    def _print(self, text: str, *, emoji: bool = False) -> None:
        if emoji:  # Slack's :codes: in text made for Slack
            self.console.print(text, markup=False, emoji=True, soft_wrap=True)
            return
        self.console.file.write(text + "\n")
        self.console.file.flush()


_YOU = "bold cyan"


def terminal(out: TextIO) -> Console:
    """rich's console on ``out``: live and in colour on a terminal; plain text into pipes and files."""
    return Console(file=out, force_terminal=out.isatty(), highlight=False)


def _new_thread_id() -> str:
    return f"{time.time():.6f}"


async def run_console(services: Services, *, script: Iterable[str] = (), interactive: bool = True) -> None:
    """Play ``script``, then read lines until the user leaves; whatever still runs is stopped."""
    pydantic_ai.BANNER_ENABLED = False  # the terminal is the chat: no framework banner in it
    session = ConsoleSession(services, sys.stdout)
    with Prompt(session.console, sys.stdin) as prompt:
        try:
            if await session.play(script, prompt) and interactive:
                await session.interact(prompt)
        finally:
            await session.close()
            # The process ends soon after: its last full collection (~0.5 s over this many modules)
            # would be spent on objects about to vanish anyway. Later garbage is still collected.
            gc.freeze()
