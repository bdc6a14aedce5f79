"""Approvals in the terminal: the proposal is printed and the next line you type decides it.

The words are Slack's buttons: ``approve`` (or ``y``) runs the write once, through the same
``ApprovalDesk`` as Slack, ``deny`` (``n``) refuses it, ``edit`` (``e``) lists the draft's fields
and ``field=value`` changes one. Once decided, the outcome is printed and the paused agent run
resumes in the same thread; a new proposal from it is offered the same way. On a terminal the
proposal is shown in a box; in a pipe, between two rules.
"""

from __future__ import annotations

import json

from rich import box
from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from bot.approvals import ApprovalDesk, Choice
from bot.console.cards import terminal_safe
from bot.ports import Sink
from bot.runs import Runs
from bot.store import ApprovalRecord

PROMPT = "Approve this change? approve / deny / edit (y/n/e)"
_CHOICES: dict[str, Choice] = {
    "y": "approve",
    "yes": "approve",
    "approve": "approve",
    "n": "deny",
    "no": "deny",
    "deny": "deny",
}


class ConsoleApprovals:
    """The proposal waiting for an answer in the console's current thread, if any."""

    def __init__(
        self, desk: ApprovalDesk, runs: Runs, console: Console, *, team_id: str, user_id: str
    ) -> None:
        self._desk = desk
        self._runs = runs
        self._console = console
        self._team_id = team_id
        self._user_id = user_id
        self.waiting: ApprovalRecord | None = None

    async def offer(self, channel: str, thread_ts: str) -> None:
        """Show the thread's first pending proposal and wait for the next line to decide it."""
        pending = await self._desk.approvals.pending_in_thread(self._team_id, channel, thread_ts)
        self.waiting = pending[0] if pending else None
        if self.waiting is not None:
            self._show(self.waiting)

    async def reply(self, line: str, sink: Sink) -> None:
        """Handle one line typed while a proposal waits."""
        record = self.waiting
        assert record is not None
        answer = line.strip()
        if answer.lower() in ("e", "edit"):
            self._fields(record)
        elif "=" in answer:
            await self._revise(record, answer)
        elif answer.lower() in _CHOICES:
            await self._decide(record, _CHOICES[answer.lower()], sink)
        else:
            self._print(f"{PROMPT}?")

    async def _decide(self, record: ApprovalRecord, choice: Choice, sink: Sink) -> None:
        verdict = await self._desk.decide(record.id, choice, team_id=self._team_id, user_id=self._user_id)
        outcome = verdict.approval
        link = f" {outcome.result_url}" if outcome is not None and outcome.result_url else ""
        self._print(f"  → {verdict.message}{link}")
        if not verdict.final or outcome is None:
            return
        self.waiting = None
        await self._desk.resume_if_decided(outcome.run_id)
        await self._runs.wait_idle()
        await self.offer(outcome.channel, outcome.thread_ts)

    async def _revise(self, record: ApprovalRecord, answer: str) -> None:
        name, _, value = answer.partition("=")
        name = name.strip()
        if name not in record.args:
            self._print(f"  no field {name!r}; type e to list them")
            return
        typed: object = value.strip()
        if isinstance(record.args[name], list):
            typed = [part.strip() for part in value.split(",") if part.strip()]
        revision = await self._desk.revise(
            record.id, {name: typed}, team_id=self._team_id, user_id=self._user_id
        )
        if not revision.ok:
            problems = "; ".join(f"{k}: {v}" for k, v in (revision.errors or {}).items())
            self._print(f"  {revision.message} {problems}".rstrip())
            return
        self.waiting = await self._desk.approvals.get(record.id)
        if self.waiting is not None:
            self._show(self.waiting)

    def _show(self, record: ApprovalRecord) -> None:
        heading = f"Proposed change ({record.tool}), needs your approval"
        if not self._console.is_interactive:
            rule = "─" * 60
            self._print(f"\n{rule}\n{heading}:\n")
            self._print(record.preview)
            self._print(f"{rule}\n{PROMPT}")
            return
        preview = Text(terminal_safe(record.preview))
        title = Text(heading, style="bold")
        self._console.print(Panel(preview, title=title, title_align="left", box=box.ROUNDED, expand=False))
        self._console.print(Text(PROMPT, style="bold yellow"))

    def _fields(self, record: ApprovalRecord) -> None:
        for name, value in record.args.items():
            self._print(f"  {name} = {json.dumps(value, ensure_ascii=False)}")
        self._print("Type field=value to change one (lists comma-separated), then y or n.")

    def _print(self, text: str) -> None:
        self._console.file.write(terminal_safe(text) + "\n")
        self._console.file.flush()
