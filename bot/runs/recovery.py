"""Boot-time recovery: runs a crash left queued or running are marked interrupted, and their
threads are told, so nobody waits on an answer that will never come.

Telling a thread is the chat's business: the caller passes a ``Notices`` (the Slack side's
delivery door), so this module never speaks Slack itself.
"""

from __future__ import annotations

import logging
from typing import Protocol

from bot.events import Interrupted, Usage
from bot.store import Store

log = logging.getLogger(__name__)

NOTICE = ":warning: I was restarted before this answer was complete. Please ask again."


CONSOLE_CHANNEL = "console"


class Notices(Protocol):
    """Posts a short notice in a conversation's thread; a failure is logged there, never raised."""

    async def say(self, channel: str, text: str, *, thread_ts: str | None = None) -> bool: ...


async def recover_interrupted(store: Store, notices: Notices | None) -> int:
    """Mark unfinished runs interrupted and tell their threads once. Returns how many.

    With ``notices`` (the chat's door) this recovers the chat's runs; without, console runs only,
    so a console started beside a running server never touches the server's runs.
    """
    runs = [
        run
        for run in await store.unfinished_runs()
        if (run.channel_id == CONSOLE_CHANNEL) == (notices is None)
    ]
    for run in runs:
        # Record first, then notify: a crash in between means no notice rather than two.
        await store.finish_run(run.id, status="interrupted", usage=Usage(), error=Interrupted().message)
        if notices is not None and not await notices.say(run.channel_id, NOTICE, thread_ts=run.thread_ts):
            log.info("thread %s was not told about run %s", run.thread_ts, run.id)
    if runs:
        log.info("recovered %d interrupted run(s)", len(runs))
    return len(runs)
