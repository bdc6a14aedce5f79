"""Slack side of approvals: the clicks on a proposal's buttons, and the Edit modal.

Proposals are posted below a run's answer by ``bot.slack.delivery.proposals``. A click is
acknowledged at once and handed to the ``ApprovalDesk``: the asker's Approve executes the write
(once, whoever else clicks, however often); anyone else gets an ephemeral "not yours". A decided
proposal is replaced (chat.update) by its outcome with a link, and the paused agent run resumes
in the thread.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.approvals import ApprovalDesk, Choice, Verdict
from bot.lookup import LinkPolicy
from bot.slack.blocks import (
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
from bot.slack.click import Click
from bot.slack.delivery import DELIVERY_ERRORS, SlackDelivery, error_code
from bot.store import ApprovalRecord
from bot.text import escape

log = logging.getLogger(__name__)

NOT_SHOWN = "Your edit is saved, but the proposal above could not be updated ({error}); Approve uses it."


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
        blocks = proposal_blocks(
            approval_id=record.id,
            tool=record.tool,
            preview=revision.preview,
            user_id=record.user_id,
            expires_at=record.expires_at,
        )
        channel = str(metadata.get("channel") or record.channel)
        ts = str(metadata.get("message_ts") or record.message_ts)
        try:
            text = proposal_text(record.tool, revision.preview)
            await SlackDelivery(client, team=record.team_id).update(channel, ts, text, blocks=blocks)
        except DELIVERY_ERRORS as exc:
            log.warning("could not show the edit of approval %s: %s", record.id, error_code(exc))
            await _tell(client, record, user_id, NOT_SHOWN.format(error=error_code(exc)))

    async def _decide(self, body: dict[str, Any], client: AsyncWebClient, choice: Choice) -> None:
        click = Click.of(body)
        verdict = await self._desk.decide(click.value, choice, team_id=click.team_id, user_id=click.user_id)
        if not verdict.final or verdict.approval is None:
            await _ephemeral(client, body, verdict.message)
            return
        await self._show_outcome(client, body, verdict)
        # A denial or expiry resumes the paused run here (an approval already did, with its write).
        await self._desk.resume_if_decided(verdict.approval.run_id)

    async def _show_outcome(self, client: AsyncWebClient, body: dict[str, Any], verdict: Verdict) -> None:
        assert verdict.approval is not None
        record = verdict.approval
        click = Click.of(body)
        ts = click.message_ts or (record.message_ts or "")
        delivery = SlackDelivery(client, team=click.team_id)
        try:
            await delivery.update(
                click.channel_id, ts, outcome_text(record), blocks=outcome_blocks(record, self._links)
            )
        except DELIVERY_ERRORS as exc:
            log.warning("could not show the outcome of approval %s: %s", record.id, error_code(exc))


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
    delivery = SlackDelivery(client, team=record.team_id)
    notice = f":information_source: {escape(text)}"
    try:
        await delivery.post_ephemeral(record.channel, user_id, notice, thread_ts=record.thread_ts)
    except DELIVERY_ERRORS as exc:
        log.info("could not answer %s ephemerally: %s", user_id, error_code(exc))
