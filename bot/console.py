"""`chatops console`: the same intake, dispatcher and workflows, with the terminal as the chat.

A console conversation is a thread: every question until `/new` shares its history, which is
kept in the same database as Slack threads (team "console", channel "console").
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Iterable
from typing import TextIO

from bot.card_text import card_text
from bot.cards import Card, NextPage
from bot.console_sink import ConsoleSink
from bot.errors import InputRejected
from bot.intake import Inquiry
from bot.recovery import CONSOLE_CHANNEL
from bot.services import Services

HELP = (
    "Type a question (or /ask <question>). /jira <KEY | JQL | words> and /gh <owner/repo#N | owner/repo"
    " | query> show cards; /more pages a Jira list. /new starts a new thread, /quit leaves."
)
CONSOLE = CONSOLE_CHANNEL


class ConsoleSession:
    def __init__(self, services: Services, out: TextIO, *, user_id: str = "console-user") -> None:
        self._services = services
        self._out = out
        self._user_id = user_id
        self._sink = ConsoleSink(out, color=out.isatty())
        self.thread_ts = _new_thread_id()
        self._next_page: NextPage | None = None

    async def ask(self, text: str) -> None:
        """Ask in the current thread and wait until the answer has been printed."""
        inquiry = Inquiry(CONSOLE, CONSOLE, self.thread_ts, self._user_id, text, "console")
        try:
            await self._services.intake.accept(inquiry, self._sink)
        except InputRejected as rejected:
            self._print(rejected.message)
            return
        await self._services.dispatcher.wait_idle()

    def new_thread(self) -> None:
        self.thread_ts = _new_thread_id()
        self._print("(new thread)")

    async def handle(self, line: str) -> bool:
        """One line of input; returns False when the user wants to leave."""
        command, _, rest = line.strip().partition(" ")
        if command in ("/quit", "/exit"):
            return False
        if command == "/new":
            self.new_thread()
        elif command == "/help":
            self._print(HELP)
        elif command == "/ask":
            await self.ask(rest)
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
