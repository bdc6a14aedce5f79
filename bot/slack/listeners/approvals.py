"""Slack side of approvals: the proposal posted in the thread, its buttons, and the Edit modal.

``ApprovalPreviews`` wraps a thread's sink: the run's answer is rendered as usual and, once it
has ended, each ``ApprovalRequested`` is posted below it as a message with Approve / Edit / Deny.
A click is acknowledged at once and handed to the ``ApprovalDesk``: the asker's Approve executes
the write (once, whoever else clicks, however often); anyone else gets an ephemeral "not yours".
A decided proposal is replaced (chat.update) by its outcome with a link, and the paused agent run
resumes in the thread.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.approvals.desk import ApprovalDesk, Choice, Verdict
from bot.events import ApprovalRequested, WorkflowEvent, is_terminal
from bot.ports import Sink
from bot.slack.blocks.approvals import (
    APPROVE,
    DENY,
    EDIT,
    EDIT_VIEW,
    edit_modal,
    field_block_id,
    outcome_blocks,
    outcome_text,
    proposal_blocks,
    proposal_text,
    submitted_arguments,
)
from bot.slack.blocks.cards import LinkPolicy
from bot.slack.click import Click
from bot.slack.delivery.sink import SlackThreadSink
from bot.store.approvals import ApprovalRecord
from bot.text.render import escape

log = logging.getLogger(__name__)


class ApprovalPreviews:
    """A ``Sink`` that posts proposals after the run's answer, and passes everything else on."""

    def __init__(
        self, inner: Sink, client: AsyncWebClient, desk: ApprovalDesk, *, channel: str, thread_ts: str
    ) -> None:
        self._inner = inner
        self._client = client
        self._desk = desk
        self._channel = channel
        self._thread_ts = thread_ts
        self._held: list[ApprovalRequested] = []

    async def emit(self, event: WorkflowEvent) -> None:
        if isinstance(event, ApprovalRequested):
            self._held.append(event)  # shown below the answer, once it is complete
            return
        await self._inner.emit(event)
        if is_terminal(event):
            held, self._held = self._held, []
            for request in held:
                await self._post(request)

    async def _post(self, request: ApprovalRequested) -> None:
        record = await self._desk.approvals.get(request.approval_id)
        refusal = self._desk.refusal(request.user_id, self._channel) or ""
        try:
            posted = await self._client.chat_postMessage(
                channel=self._channel,
                thread_ts=self._thread_ts,
                text=proposal_text(request.tool, request.preview),
                blocks=proposal_blocks(
                    approval_id=request.approval_id,
                    tool=request.tool,
                    preview=request.preview,
                    user_id=request.user_id,
                    allowed=request.allowed,
                    refusal=refusal,
                    expires_at=record.expires_at if record else None,
                ),
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as exc:
            log.warning("could not post approval %s: %s", request.approval_id, exc.response.get("error"))
            return
        await self._desk.approvals.set_message_ts(request.approval_id, str(posted["ts"]))


def thread_sink(client: AsyncWebClient, desk: ApprovalDesk, record: ApprovalRecord) -> Sink:
    """The sink for a resumed run: the asker's thread, proposals included."""
    inner = SlackThreadSink(
        client,
        channel=record.channel,
        thread_ts=record.thread_ts,
        recipient_user_id=record.user_id,
        recipient_team_id=record.team_id,
    )
    return ApprovalPreviews(inner, client, desk, channel=record.channel, thread_ts=record.thread_ts)


def register_approvals(app: AsyncApp, desk: ApprovalDesk, links: LinkPolicy) -> None:
    listeners = _ApprovalListeners(desk, links)
    app.action(APPROVE)(listeners.approve)
    app.action(DENY)(listeners.deny)
    app.action(EDIT)(listeners.edit)
    app.view(EDIT_VIEW)(listeners.edited)


class _ApprovalListeners:
    def __init__(self, desk: ApprovalDesk, links: LinkPolicy) -> None:
        self._desk = desk
        self._links = links

    async def approve(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await self._decide(body, client, "approve")

    async def deny(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await self._decide(body, client, "deny")

    async def edit(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        click = Click.of(body)
        record = await self._desk.approvals.get(click.value)
        if record is None or not record.belongs_to(click.team_id, click.user_id):
            await _ephemeral(client, body, "Only the person who asked can edit this proposal.")
            return
        if record.status != "pending":
            await _ephemeral(client, body, f"This proposal was already decided ({record.status}).")
            return
        view = edit_modal(record, channel=click.channel_id, message_ts=click.message_ts)
        await client.views_open(trigger_id=click.trigger_id, view=view)

    async def edited(
        self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        metadata = json.loads(view.get("private_metadata") or "{}")
        record = await self._desk.approvals.get(str(metadata.get("approval_id", "")))
        if record is None:
            await ack(response_action="errors", errors={})
            return
        submitter = Click.of(body)
        team_id, user_id = submitter.team_id, submitter.user_id
        arguments = submitted_arguments(record, view.get("state", {}))
        revision = await self._desk.revise(record.id, arguments, team_id=team_id, user_id=user_id)
        if revision.errors:
            await ack(response_action="errors", errors=_form_errors(record, revision.errors))
            return
        await ack()
        if not revision.ok:
            await _tell(client, record, user_id, revision.message)
            return
        await client.chat_update(
            channel=str(metadata.get("channel") or record.channel),
            ts=str(metadata.get("message_ts") or record.message_ts),
            text=proposal_text(record.tool, revision.preview),
            blocks=proposal_blocks(
                approval_id=record.id,
                tool=record.tool,
                preview=revision.preview,
                user_id=record.user_id,
                expires_at=record.expires_at,
            ),
        )

    async def _decide(self, body: dict[str, Any], client: AsyncWebClient, choice: Choice) -> None:
        click = Click.of(body)
        verdict = await self._desk.decide(click.value, choice, team_id=click.team_id, user_id=click.user_id)
        if not verdict.final or verdict.approval is None:
            await _ephemeral(client, body, verdict.message)
            return
        await self._show_outcome(client, body, verdict)
        sink = thread_sink(client, self._desk, verdict.approval)
        await self._desk.resume_if_decided(verdict.approval.run_id, sink)

    async def _show_outcome(self, client: AsyncWebClient, body: dict[str, Any], verdict: Verdict) -> None:
        assert verdict.approval is not None
        record = verdict.approval
        click = Click.of(body)
        try:
            await client.chat_update(
                channel=click.channel_id,
                ts=click.message_ts or (record.message_ts or ""),
                text=outcome_text(record),
                blocks=outcome_blocks(record, self._links),
            )
        except SlackApiError as exc:
            log.warning("could not show the outcome of approval %s: %s", record.id, exc.response.get("error"))


def _form_errors(record: ApprovalRecord, errors: Mapping[str, str]) -> dict[str, str]:
    """Errors by input block; one on a field the form lacks is shown on the first input."""
    shown: dict[str, str] = {}
    for name, message in errors.items():
        target = name if name in record.args else next(iter(record.args), name)
        shown.setdefault(field_block_id(target), message)
    return shown


async def _ephemeral(client: AsyncWebClient, body: dict[str, Any], text: str) -> None:
    await Click.of(body).tell(client, f":information_source: {escape(text)}")


async def _tell(client: AsyncWebClient, record: ApprovalRecord, user_id: str, text: str) -> None:
    try:
        await client.chat_postEphemeral(
            channel=record.channel,
            user=user_id,
            text=f":information_source: {escape(text)}",
            thread_ts=record.thread_ts,
        )
    except SlackApiError as exc:
        log.info("could not answer %s ephemerally: %s", user_id, exc.response.get("error"))
