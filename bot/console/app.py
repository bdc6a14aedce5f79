"""`chatops console`: the same intake, durable runs and workflows, with the terminal as the chat.

A console conversation is a thread: every question until `/new` shares its history, which is
kept in the same database as Slack threads (team "console", channel "console").
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Iterable
from typing import TextIO

from bot.console.approvals import ConsoleApprovals
from bot.console.cards import card_text
from bot.console.sink import ConsoleSink
from bot.console.workflows import standup_text, start_issue, start_triage
from bot.errors import InputRejected
from bot.lookup import Card, NextPage
from bot.ports import OneSink, Origin
from bot.services import Services
from bot.store import Asker
from bot.workflows import Inquiry

HELP = """\
Type a question (or /ask <question>). /new starts a new thread, /quit leaves.
Direct look-ups (cards, no LLM):
  /jira OPS-123 · /jira <JQL> · /jira <words>     an issue · a list (/more for the next page) · words as JQL
  /jira count <JQL> · /jira transitions OPS-123    how many issues · the transitions open to an issue
  /jira projects                                   the projects the bot can read
  /gh owner/repo#42 · /gh owner/repo · /gh <query> a pull request or issue · PRs waiting for review · search
  /gh compare owner/repo main...branch             ahead/behind and the newest commits
  /gh runs owner/repo [branch]                     recent Actions workflow runs
  /gh jobs owner/repo <run id>                     the failed jobs of a run and their failed steps
  /gh log owner/repo <job id>                      the last lines of a job's log
Workflows (typed drafts; writes wait for your y / n / e):
  /standup [PROJECT owner/repo team]               in progress, blocked, waiting reviews, failing CI
  /triage OPS-123                                  component, severity, duplicates, owner; proposes updates
  /jira create [PROJECT] <words>                   a Jira issue drafted from this thread, made on approval"""
CONSOLE = "console"  # the team and channel of console threads


class ConsoleSession:
    def __init__(self, services: Services, out: TextIO, *, user_id: str = "console-user") -> None:
        self._services = services
        self._out = out
        self._user_id = user_id
        self._sink = ConsoleSink(out, color=out.isatty())
        services.runs.route("console", OneSink(self._sink))  # every run of this session prints here
        self.thread_ts = _new_thread_id()
        self._next_page: NextPage | None = None
        desk = services.desk  # proposed writes wait for the next line: y / n / e
        self._approvals = (
            ConsoleApprovals(desk, services.runs, out, team_id=CONSOLE, user_id=user_id)
            if desk is not None
            else None
        )

    async def ask(self, text: str) -> None:
        """Ask in the current thread and wait until the answer has been printed."""
        inquiry = Inquiry(CONSOLE, CONSOLE, self.thread_ts, self._user_id, text, "console")
        try:
            origin = Origin("console", CONSOLE, CONSOLE, self.thread_ts, self._user_id)
            await self._services.intake.accept(inquiry, origin)
        except InputRejected as rejected:
            self._print(rejected.message)
            return
        await self.settle()

    async def settle(self) -> None:
        """Wait until the thread's runs have ended; then offer any proposed write for a decision."""
        await self._services.runs.wait_idle()
        if self._approvals is not None:
            await self._approvals.offer(CONSOLE, self.thread_ts)

    def new_thread(self) -> None:
        self.thread_ts = _new_thread_id()
        if self._approvals is not None:
            self._approvals.waiting = None  # it stays pending in its own thread
        self._print("(new thread)")

    async def handle(self, line: str) -> bool:
        """One line of input; returns False when the user wants to leave."""
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
        elif command == "/jira" and rest.split(" ", 1)[0].lower() == "create":
            await self._workflow(start_issue(self._services.workflows, self._asker(), rest[6:]))
        elif command == "/triage":
            await self._workflow(start_triage(self._services.workflows, self._asker(), rest))
        elif command == "/standup":
            self._print(await standup_text(self._services.workflows, rest))
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

    async def play(self, script: Iterable[str]) -> None:
        for line in script:
            self._print(f"\nyou> {line}")
            await self.handle(line)

    async def interact(self) -> None:
        self._print(HELP)
        while True:
            self._out.write("\nyou> ")
            self._out.flush()
            line = await asyncio.to_thread(sys.stdin.readline)
            if not line or not await self.handle(line):
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
        self._print(card_text(card))

    def _print(self, text: str) -> None:
        self._out.write(text + "\n")
        self._out.flush()


def _new_thread_id() -> str:
    return f"{time.time():.6f}"


async def run_console(services: Services, *, script: Iterable[str] = (), interactive: bool = True) -> None:
    session = ConsoleSession(services, sys.stdout)
    await session.play(script)
    if interactive:
        await session.interact()
