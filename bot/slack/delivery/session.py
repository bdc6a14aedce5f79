"""Slack's agent surface in the Messages tab: a thread's agent session and the tab's prompts.

An agent session (``agents.sessions.*``) is what makes Slack show a thread as the agent's work:
``processing`` while a run works (Slack then shows its own Stop, which arrives as
``agent_session_stopped``), ``active`` once it has answered, and a title from the thread's first
question. The suggested prompts sit at the top of the tab (``setSuggestedPrompts`` without a
thread). All of it is a courtesy around the answer: a refused call is logged, never raised.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.slack.delivery.door import DELIVERY_ERRORS, SlackDelivery, error_code
from bot.text import escape_clipped

log = logging.getLogger(__name__)

TITLE_LENGTH = 80  # Slack allows 200; a title is read in a list of threads
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Prompt:
    """One suggested prompt: the title shown, the message sent when it is clicked."""

    title: str
    message: str


def session_title(question: str) -> str:
    """A thread's title from its first question: one line, escaped, at most ``TITLE_LENGTH``."""
    return escape_clipped(_SPACE.sub(" ", question).strip(), TITLE_LENGTH)


class AgentSession:
    """The agent session of one thread (``channel``, ``thread_ts``), written through ``door``."""

    def __init__(self, door: SlackDelivery, channel: str, thread_ts: str) -> None:
        self._door = door
        self._where = {"channel_id": channel, "thread_ts": thread_ts}
        self._starting: asyncio.Future[None] | None = None

    def start(self, title: str = "") -> None:
        """The run works: ``processing`` (Slack's Stop shows), then named when ``title`` is given.

        In the background: the calls may wait for budget (a session that never says
        ``processing`` has no Stop), and the answer must not wait behind them."""
        self._starting = asyncio.ensure_future(self._working(title))

    async def done(self) -> None:
        """The run has ended (answered, failed or stopped): ``active``, so Slack's Stop goes away."""
        if self._starting is not None:
            await self._starting  # never after it: the session would stay "processing"
        await self._call("agents.sessions.setStatus", status="active")

    async def _working(self, title: str) -> None:
        if await self._call("agents.sessions.setStatus", status="processing") and title:
            await self._call("agents.sessions.rename", title=title)

    async def _call(self, method: str, **args: Any) -> bool:
        try:
            await self._door.call(method, {**self._where, **args})
        except DELIVERY_ERRORS as error:
            log.info("slack %s skipped (%s)", method, error_code(error))
            return False
        return True


async def suggest_prompts(door: SlackDelivery, channel: str, prompts: Sequence[Prompt]) -> bool:
    """Show ``prompts`` at the top of the Messages tab (``channel``, the app's DM); False if refused."""
    args = {"channel_id": channel, "prompts": [{"title": p.title, "message": p.message} for p in prompts]}
    try:
        await door.call("assistant.threads.setSuggestedPrompts", args)
    except DELIVERY_ERRORS as error:
        log.info("slack setSuggestedPrompts skipped (%s)", error_code(error))
        return False
    return True
