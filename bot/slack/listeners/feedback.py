"""The small message under each finished answer: 👍, 👎 and Details, and what 👍/👎 store.

The buttons go in a message of their own right after the answer: the answer's message belongs
to the stream (or the edited reply) and its final write must not wait on this.
Anyone in the thread may give feedback; one row per person and run, the latest click wins.
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

from bot.events import Finished, WorkflowEvent
from bot.ports import Sink
from bot.slack.blocks.feedback import (
    REASON_BLOCK,
    REASON_LIMIT,
    REASON_VIEW,
    TOO_LONG,
    reason_modal,
    submitted_reason,
    submitted_run_id,
)
from bot.slack.click import Click
from bot.store.store import Store

log = logging.getLogger(__name__)

FEEDBACK_UP = "answer_feedback_up"
FEEDBACK_DOWN = "answer_feedback_down"
ANSWER_DETAILS = "answer_details"
_VALUES = {FEEDBACK_UP: "up", FEEDBACK_DOWN: "down"}
PROMPT = "Was this answer useful?"
NOT_STORED = "I no longer have a record of that answer, so there is nothing to rate."


def feedback_blocks(run_id: str) -> list[dict[str, Any]]:
    """A context line and one row of buttons, each carrying the run id."""

    def button(action_id: str, label: str) -> dict[str, Any]:
        return {
            "type": "button",
            "action_id": action_id,
            "text": {"type": "plain_text", "text": label, "emoji": True},
            "value": run_id,
        }

    buttons = [button(FEEDBACK_UP, ":thumbsup:"), button(FEEDBACK_DOWN, ":thumbsdown:")]
    return [
        {"type": "context", "elements": [{"type": "mrkdwn", "text": PROMPT}]},
        {
            "type": "actions",
            "block_id": f"feedback:{run_id}",
            "elements": [*buttons, button(ANSWER_DETAILS, "Details")],
        },
    ]


def thanks(value: str) -> str:
    return f"Thanks, your feedback ({'👍' if value == 'up' else '👎'}) is recorded."


class FeedbackSink:
    """A ``bot.ports.Sink`` that posts the feedback buttons once the answer is finished.

    ``run_id`` is set by whoever starts the run (it exists only after the sink is built).
    """

    def __init__(self, inner: Sink, client: AsyncWebClient, *, channel: str, thread_ts: str) -> None:
        self._inner = inner
        self._client = client
        self._channel = channel
        self._thread_ts = thread_ts
        self.run_id: str | None = None

    async def emit(self, event: WorkflowEvent) -> None:
        await self._inner.emit(event)
        if isinstance(event, Finished) and self.run_id is not None:
            try:
                await self._client.chat_postMessage(
                    channel=self._channel,
                    thread_ts=self._thread_ts,
                    text=PROMPT,
                    blocks=feedback_blocks(self.run_id),
                    unfurl_links=False,
                    unfurl_media=False,
                )
            except SlackApiError as exc:  # a courtesy: the answer is already there
                log.info("feedback buttons not posted: %s", exc.response.get("error"))

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)


def register_feedback(app: AsyncApp, store: Store) -> None:
    async def clicked(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        click = Click.of(body)
        value = _VALUES[click.action_id]
        run = await store.get_run(click.value) if click.value else None
        if run is None:  # pruned, or forgotten with its thread
            await click.tell(client, NOT_STORED)
            return
        await store.record_feedback(run.id, click.user_id, value)
        if value == "down" and await _ask_reason(client, click):
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

    app.action(FEEDBACK_UP)(clicked)
    app.action(FEEDBACK_DOWN)(clicked)
    app.view(REASON_VIEW)(reason_submitted)


async def _ask_reason(client: AsyncWebClient, click: Click) -> bool:
    """Open the reason dialog; False when Slack would not (e.g. the click's trigger expired)."""
    try:
        await client.views_open(trigger_id=click.trigger_id, view=reason_modal(click.value))
    except SlackApiError as exc:
        log.info("feedback reason dialog not opened: %s", exc.response.get("error"))
        return False
    return True
