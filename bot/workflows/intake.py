"""Intake: where every entry point (Slack, console) hands over a question.

The question is validated, stored the moment it arrives (so nothing is lost if the process
dies), a run is created, and the run is enqueued as a durable workflow with its ``Origin``, from
which whichever process runs it rebuilds the sink that renders it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal

from bot.errors import InputRejected, ShuttingDown
from bot.events import Usage, WorkflowEvent
from bot.ports import (
    AgentPort,
    ContextSource,
    DiscussionBackend,
    FileRef,
    FileSource,
    Origin,
    SearchGrant,
    SearchGrants,
)
from bot.runs import RunOrder, Runs
from bot.store import Asker, Store
from bot.workflows.ask import ProposalDesk, Question, answer

ASK = "ask"

Trigger = Literal["ask", "mention", "followup", "dm", "console"]

# The question of a message that is only files: the files are what to look at.
ABOUT_FILES = "What do the attached files show?"


@dataclass(frozen=True)
class Inquiry:
    """A question as it arrives, with the conversation it belongs to."""

    team_id: str
    channel_id: str
    thread_ts: str
    user_id: str
    text: str
    trigger: Trigger
    files: tuple[FileRef, ...] = ()  # attached to the message; their bytes are fetched in the run
    grant: SearchGrant | None = None  # Slack's leave to search its discussion; kept in memory only

    @property
    def asker(self) -> Asker:
        return Asker(self.team_id, self.user_id, self.channel_id, self.thread_ts)


class Intake:
    def __init__(
        self,
        store: Store,
        agent: AgentPort,
        runs: Runs,
        *,
        max_chars: int = 4000,
        context: ContextSource | None = None,
        desk: ProposalDesk | None = None,
        grants: SearchGrants | None = None,
    ) -> None:
        self._store = store
        self._agent = agent
        self._runs = runs
        self._max_chars = max_chars
        self._context = context  # looks up what a question mentions before the agent runs
        self._desk = desk  # files the writes the agent proposes, for the asker's approval
        self._files: FileSource | None = None  # the edge's, once it is up: see read_files_with
        self._grants = grants  # each run's search grant, in this process's memory
        runs.program(ASK, self._answer)

    def read_files_with(self, source: FileSource) -> None:
        """Fetch attached files through ``source`` (the edge that received them: Slack, the console)."""
        self._files = source

    def search_with(self, backend: DiscussionBackend) -> None:
        """Search Slack's discussion through ``backend`` (the Slack edge, once it is connected)."""
        if self._grants is not None:
            self._grants.bind(backend)

    def clean(self, text: str) -> str:
        """The question as the agent should see it, or InputRejected with a message for the user."""
        question = text.replace("\x00", "").strip()
        if not question:
            raise InputRejected("Ask me a question, e.g. `why is OPS-2 blocked?`")
        if len(question) > self._max_chars:
            raise InputRejected(
                f"That question is {len(question):,} characters long; the limit is {self._max_chars:,}."
            )
        return question

    async def stop(self, run_id: str) -> bool:
        """Stop a run in flight on its asker's request (it ends interrupted, its partial answer kept)."""
        return await self._runs.stop(run_id)

    def stop_here(self, run_id: str) -> bool:
        """Stop a run this process is rendering (Slack's Stop on its stream)."""
        return self._runs.stop_local(run_id)

    async def accept(self, inquiry: Inquiry, origin: Origin) -> str:
        """Store the question, create its run and enqueue it, rendered for ``origin``; the run id."""
        if not self._runs.accepting:
            raise ShuttingDown("the bot is restarting; please ask again in a moment")
        text = self.clean(inquiry.text if inquiry.text.strip() or not inquiry.files else ABOUT_FILES)
        stored = await self._store.open_question(
            inquiry.team_id,
            inquiry.channel_id,
            inquiry.thread_ts,
            text=text,
            trigger=inquiry.trigger,
            user_id=inquiry.user_id,
        )
        run_id, conversation_id = stored.run_id, stored.conversation_id
        question = Question(
            run_id,
            conversation_id,
            stored.message_id,
            inquiry.user_id,
            text,
            inquiry.channel_id,
            files=inquiry.files,
            searchable=self._hold(run_id, inquiry.grant),
        )
        try:
            order = RunOrder(run_id, conversation_id, ASK, question, origin, kind=inquiry.trigger)
            await self._runs.submit(order)
        except ShuttingDown:
            await self._store.finish_run(run_id, status="interrupted", usage=Usage(), error="shutting down")
            raise
        return run_id

    def _hold(self, run_id: str, grant: SearchGrant | None) -> bool:
        """Leave the run's grant in memory before the run can start; whether there is one."""
        if grant is None or self._grants is None:
            return False
        self._grants.keep(run_id, grant)
        return True

    def _answer(self, question: Question) -> AsyncIterator[WorkflowEvent]:
        return answer(
            question,
            store=self._store,
            agent=self._agent,
            context=self._context,
            desk=self._desk,
            files=self._files,
        )
