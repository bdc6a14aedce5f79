"""A Stop button under an answer that is not a native stream (whose own Stop control Slack shows).

While a run is being written as a posted-and-edited message, or through a slash command's
response_url, the message carries a Stop button whose value is the run id. Only the asker
(same user and workspace) may stop the run; it then ends ``interrupted`` with its partial
answer kept, exactly as when the stream's Stop is pressed. A click for a run that has ended
changes nothing, and a second click on a run already stopping is harmless.

In the Messages tab the thread is an agent session, and Slack shows its own Stop while the run
works; a click arrives as ``agent_session_stopped`` (channel, thread_ts, user; the team on the
envelope) and stops the thread's run in flight under the same rule: only its asker. There is no
one to answer there (Slack's control says it stopped), so a refused stop is only logged.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.slack.blocks import ANSWER_STOP
from bot.slack.click import Click
from bot.slack.delivery import DELIVERY_ERRORS, error_code
from bot.store import Store
from bot.workflows import Intake

log = logging.getLogger(__name__)

ALREADY_FINISHED = "That answer has already finished."


def only_the_asker(user_id: str) -> str:
    return f"Only <@{user_id}> can stop this answer."


class AnswerStopper:
    """Decides what a click on Stop does; ``stop`` cancels a run in flight (``Intake.stop``)."""

    def __init__(self, store: Store, stop: Callable[[str], Awaitable[bool]]) -> None:
        self._store = store
        self._stop = stop

    async def click(self, run_id: str, *, team_id: str, user_id: str) -> str | None:
        """Stop ``run_id`` for its asker; the sentence to tell the clicker, or None when it stops."""
        run = await self._store.get_run(run_id) if run_id else None
        if run is None:
            return ALREADY_FINISHED  # pruned, or a value we never wrote: nothing to stop
        if (run.team_id, run.user_id) != (team_id, user_id):
            return only_the_asker(run.user_id)
        if run.finished or not await self._stop(run.id):
            return ALREADY_FINISHED
        return None  # the run ends interrupted and its message says so

    async def session_stopped(
        self, *, team_id: str, channel_id: str, thread_ts: str, user_id: str
    ) -> str | None:
        """Slack's Stop on a thread's agent session: stop the thread's run in flight, like a click."""
        conversation = await self._store.find_conversation(team_id, channel_id, thread_ts)
        runs = await self._store.runs(conversation) if conversation is not None else []
        working = [run for run in runs if not run.finished]
        if not working:
            return ALREADY_FINISHED
        return await self.click(working[-1].id, team_id=team_id, user_id=user_id)


def register_stop(app: AsyncApp, intake: Intake, store: Store) -> None:
    stopper = AnswerStopper(store, intake.stop)

    async def clicked(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        click = Click.of(body)
        reply = await stopper.click(click.value, team_id=click.team_id, user_id=click.user_id)
        if reply is None:
            return
        try:
            # The click's own response_url: it reaches the clicker even where the bot cannot post.
            await respond(text=reply, response_type="ephemeral", replace_original=False)
        except DELIVERY_ERRORS as error:
            log.info("stop click not answered (%s)", error_code(error))

    async def session_stopped(event: dict[str, Any], body: dict[str, Any]) -> None:
        channel, thread_ts, user = event.get("channel"), event.get("thread_ts"), event.get("user")
        if not (isinstance(channel, str) and isinstance(thread_ts, str) and isinstance(user, str)):
            log.info("agent_session_stopped without channel, thread or user: ignored")
            return
        team_id = str(body.get("team_id") or event.get("team") or "")
        refused = await stopper.session_stopped(
            team_id=team_id, channel_id=channel, thread_ts=thread_ts, user_id=user
        )
        if refused is not None:
            log.info("agent session stop not applied: %s", refused)

    app.action(ANSWER_STOP)(clicked)
    app.event("agent_session_stopped")(session_stopped)
