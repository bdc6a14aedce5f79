"""A Stop button under an answer that is not a native stream (whose own Stop control Slack shows).

While a run is being written as a posted-and-edited message, or through a slash command's
response_url, the message carries a Stop button whose value is the run id. Only the asker
(same user and workspace) may stop the run; it then ends ``interrupted`` with its partial
answer kept, exactly as when the stream's Stop is pressed. A click for a run that has ended
changes nothing, and a second click on a run already stopping is harmless.
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

    app.action(ANSWER_STOP)(clicked)
