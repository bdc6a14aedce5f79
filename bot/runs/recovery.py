"""Boot-time recovery: runs a crash left queued or running are marked interrupted, and their
threads are told, so nobody waits on an answer that will never come."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.events import Interrupted, Usage
from bot.store.store import Store

log = logging.getLogger(__name__)

NOTICE = ":warning: I was restarted before this answer was complete. Please ask again."


CONSOLE_CHANNEL = "console"


async def recover_interrupted(store: Store, client: AsyncWebClient | None) -> int:
    """Mark unfinished runs interrupted and tell their threads once. Returns how many.

    With a Slack client this recovers Slack runs; without one, console runs only, so a console
    started beside a running server never touches the server's runs.
    """
    runs = [
        run
        for run in await store.unfinished_runs()
        if (run.channel_id == CONSOLE_CHANNEL) == (client is None)
    ]
    for run in runs:
        # Record first, then notify: a crash in between means no notice rather than two.
        await store.finish_run(run.id, status="interrupted", usage=Usage(), error=Interrupted().message)
        if client is None:
            continue
        try:
            await client.chat_postMessage(
                channel=run.channel_id,
                thread_ts=run.thread_ts,
                text=NOTICE,
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as exc:
            log.warning(
                "could not tell thread %s about run %s: %s", run.thread_ts, run.id, exc.response.get("error")
            )
    if runs:
        log.info("recovered %d interrupted run(s)", len(runs))
    return len(runs)
