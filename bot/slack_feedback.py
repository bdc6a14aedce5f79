"""👍/👎 buttons under each finished answer, stored with its run.

The buttons go in a small message of their own right after the answer: the answer's message
belongs to the stream (or the edited reply) and its final write must not wait on this.
Anyone in the thread may give feedback; one row per person and run, the latest click wins.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.events import Finished, WorkflowEvent
from bot.ports import Sink
from bot.store import Store

log = logging.getLogger(__name__)

FEEDBACK_UP = "answer_feedback_up"
FEEDBACK_DOWN = "answer_feedback_down"
_VALUES = {FEEDBACK_UP: "up", FEEDBACK_DOWN: "down"}
PROMPT = "Was this answer useful?"


def feedback_blocks(run_id: str) -> list[dict[str, Any]]:
    def button(action_id: str, emoji: str) -> dict[str, Any]:
        return {
            "type": "button",
            "action_id": action_id,
            "text": {"type": "plain_text", "text": emoji, "emoji": True},
            "value": run_id,
        }

    return [
        {"type": "context", "elements": [{"type": "mrkdwn", "text": PROMPT}]},
        {
            "type": "actions",
            "block_id": f"feedback:{run_id}",
            "elements": [button(FEEDBACK_UP, ":thumbsup:"), button(FEEDBACK_DOWN, ":thumbsdown:")],
        },
    ]


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
        action = body["actions"][0]
        value = _VALUES[action["action_id"]]
        user_id = str(body["user"]["id"])
        await store.record_feedback(str(action["value"]), user_id, value)
        try:
            await client.chat_postEphemeral(
                channel=str(body["channel"]["id"]),
                user=user_id,
                text=f"Thanks, your feedback ({'👍' if value == 'up' else '👎'}) is recorded.",
                thread_ts=(body.get("message") or {}).get("thread_ts") or None,
            )
        except SlackApiError as exc:
            log.info("feedback thanks not posted: %s", exc.response.get("error"))

    app.action(FEEDBACK_UP)(clicked)
    app.action(FEEDBACK_DOWN)(clicked)
