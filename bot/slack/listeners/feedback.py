"""The 👍 / 👎 under each finished answer (Slack's native feedback buttons, in the answer's own
message), and what they store.

Answers posted before the buttons moved into the answer carry separate 👍 and 👎 buttons; their
clicks are read the same way. Anyone in the thread may give feedback; one row per person and run,
the latest click wins.
👍 is one click. 👎 is stored at once, then opens a dialog (``bot.slack.blocks.feedback``) for an
optional reason, so closing the dialog loses nothing; a submitted reason is stored on the same
row and never shown in the channel. Details is answered by ``bot.slack.listeners.details``.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.blocks import (
    ANSWER_FEEDBACK,
    FEEDBACK_DOWN,
    FEEDBACK_UP,
    REASON_BLOCK,
    REASON_LIMIT,
    REASON_VIEW,
    TOO_LONG,
    feedback_value,
    reason_modal,
    submitted_reason,
    submitted_run_id,
)
from bot.slack.click import Click
from bot.store import Store

log = logging.getLogger(__name__)

_VALUES = {FEEDBACK_UP: "up", FEEDBACK_DOWN: "down"}
NOT_STORED = "I no longer have a record of that answer, so there is nothing to rate."


def thanks(value: str) -> str:
    return f"Thanks, your feedback ({'👍' if value == 'up' else '👎'}) is recorded."


def register_feedback(app: AsyncApp, store: Store) -> None:
    async def clicked(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        click = Click.of(body)
        value, run_id = _verdict(click)
        run = await store.get_run(run_id) if run_id else None
        if run is None:  # pruned, or forgotten with its thread
            await click.tell(client, NOT_STORED)
            return
        await store.record_feedback(run.id, click.user_id, value)
        if value == "down" and await _ask_reason(client, click, run.id):
            return  # the dialog is the acknowledgement
        await click.tell(client, thanks(value))

    async def reason_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        reason = submitted_reason(view)
        if reason is not None and len(reason) > REASON_LIMIT:
            await ack(response_action="errors", errors={REASON_BLOCK: TOO_LONG})
            return
        run_id = submitted_run_id(view)
        run = await store.get_run(run_id) if run_id else None
        if run is None:
            await ack(response_action="errors", errors={REASON_BLOCK: NOT_STORED})
            return
        # An empty box keeps the 👎 the click stored (and any reason given before). Stored before
        # the ack: the dialog closes once the reason is safe.
        await store.record_feedback(run.id, str((body.get("user") or {}).get("id") or ""), "down", reason)
        await ack()

    app.action(ANSWER_FEEDBACK)(clicked)
    app.action(FEEDBACK_UP)(clicked)
    app.action(FEEDBACK_DOWN)(clicked)
    app.view(REASON_VIEW)(reason_submitted)


def _verdict(click: Click) -> tuple[str, str]:
    """("up" | "down", run id) of a click; the run id is empty when the click names none."""
    if click.action_id in _VALUES:  # an older answer's separate button: the value is the run id
        return _VALUES[click.action_id], click.value
    return feedback_value(click.value) or ("up", "")


async def _ask_reason(client: AsyncWebClient, click: Click, run_id: str) -> bool:
    """Open the reason dialog; False when Slack would not (e.g. the click's trigger expired)."""
    try:
        await client.views_open(trigger_id=click.trigger_id, view=reason_modal(run_id))
    except SlackApiError as exc:
        log.info("feedback reason dialog not opened: %s", exc.response.get("error"))
        return False
    return True
