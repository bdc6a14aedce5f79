"""Slack listeners for the structured workflows: /standup (and its schedules), /triage,
`/jira create`, and the "Jira issue from thread" message shortcut.

Like the other commands: ack at once (usage problems go back in the ack, to the person alone),
post a visible parent, answer in its thread. Triage and issue drafts end with proposed writes,
posted below the draft with Approve / Edit / Deny by the approval flow (``bot.slack.listeners.approvals``).
Scheduled digests are posted at the top level of their channel by ``scheduled_poster``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.approvals import ApprovalDesk
from bot.errors import InputRejected
from bot.lookup import LinkPolicy
from bot.ports import Origin, Turn
from bot.runs import Fire
from bot.slack.blocks import digest_message
from bot.slack.click import Click
from bot.slack.delivery import DELIVERY_ERRORS, SlackDelivery, error_code
from bot.slack.middleware import once_per_trigger
from bot.store import USAGE as SCHEDULE_USAGE
from bot.store import Asker, ScheduleRecord, Store, TooManySchedules, parse_spec
from bot.text import escape, explain
from bot.workflows import IssueRequest, Workflows, parse_request
from integrations.errors import ChatOpsError

log = logging.getLogger(__name__)

SHORTCUT = "create_issue_from_thread"
UNSCHEDULE_ACTION = "standup_unschedule"
NO_PROJECT = "Set JIRA_PROJECTS (the first is where issues from threads go), or use `/jira create PROJECT …`."
CANNOT_POST = "I can't post in this conversation ({error}). Invite me to the channel and try again."


def register_workflows(
    app: AsyncApp,
    workflows: Workflows,
    store: Store,
    links: LinkPolicy,
    desk: ApprovalDesk | None,
    client: AsyncWebClient,
) -> None:
    """Register the listeners (before /jira's own, so `/jira create` is ours) and start the
    scheduler, which posts with ``client`` (the bot token's)."""
    listeners = _WorkflowListeners(workflows, store, links, desk)
    once = [once_per_trigger(store, "command")]
    app.command("/standup", middleware=once)(listeners.standup)
    app.command("/triage", middleware=once)(listeners.triage)
    app.command("/jira", matchers=[_is_create], middleware=once)(listeners.jira_create)
    app.shortcut(SHORTCUT, middleware=[once_per_trigger(store, "shortcut")])(listeners.issue_from_thread)
    app.action(UNSCHEDULE_ACTION)(listeners.unschedule_button)
    workflows.post_digests_with(scheduled_poster(client, workflows, links))


async def _is_create(body: dict[str, Any]) -> bool:
    return str(body.get("text", "")).strip().lower().split(" ", 1)[0] == "create"


def scheduled_poster(client: AsyncWebClient, workflows: Workflows, links: LinkPolicy) -> Fire:
    """Posts one schedule's digest at the top of its channel; a failure is posted plainly too."""

    async def fire(schedule: ScheduleRecord, due: datetime) -> str:
        delivery = SlackDelivery(client, team=schedule.team_id)
        try:
            asker = Asker(schedule.team_id, schedule.created_by, schedule.channel_id, "")
            result = await workflows.standup.run(workflows.standup.scope(schedule.scope), asker)
        except ChatOpsError as exc:
            text = f":warning: The scheduled standup digest could not be made: {escape(explain(exc))}"
            await delivery.say(schedule.channel_id, text)
            return f"failed: {explain(exc)}"
        message = digest_message(result.digest, links, problems=result.facts.problems)
        try:
            await delivery.post(schedule.channel_id, message.text, blocks=message.blocks)
        except DELIVERY_ERRORS as exc:  # nobody is waiting in the channel: the fire's outcome says it
            log.error(
                "scheduled digest %s not posted in %s (%s)", schedule.id, schedule.channel_id, error_code(exc)
            )
            return f"failed: {error_code(exc)}"
        return "posted"

    return fire


class _WorkflowListeners:
    def __init__(
        self, workflows: Workflows, store: Store, links: LinkPolicy, desk: ApprovalDesk | None
    ) -> None:
        self._workflows = workflows
        self._store = store
        self._links = links
        self._desk = desk

    # -- /standup ----------------------------------------------------------------------------

    async def standup(
        self, ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        text = str(command.get("text", "")).strip()
        verb, _, rest = text.partition(" ")
        try:
            if verb.lower() == "schedule":
                await ack(text=await self._schedule(command, rest))
            elif verb.lower() in ("schedules", "unschedule"):
                reply = await self._schedules_reply(command, rest if verb.lower() == "unschedule" else None)
                await ack(**reply)
            else:
                scope = self._workflows.standup.scope(text)
                await ack()
                asker = Asker(command["team_id"], command["user_id"], command["channel_id"], "")
                await self._digest(
                    command, client, respond, scope.label, lambda: self._workflows.standup.run(scope, asker)
                )
        except InputRejected as rejected:
            await ack(text=rejected.message)

    async def _schedule(self, command: dict[str, Any], text: str) -> str:
        spec, scope_text = parse_spec(text)
        scope = self._workflows.standup.scope(scope_text)  # refuses unknown words now, not at 09:30
        try:
            record = await self._workflows.schedules.add(
                team_id=command["team_id"],
                channel_id=command["channel_id"],
                created_by=command["user_id"],
                spec=spec,
                scope=scope_text,
            )
        except TooManySchedules as exc:
            raise InputRejected(f"This channel has too many scheduled digests ({exc}).") from None
        await self._workflows.schedules_changed()
        return (
            f"Scheduled #{record.id}: a standup digest for {escape(scope.label)} here, {escape(spec.label)}. "
            "`/standup schedules` lists them."
        )

    async def _schedules_reply(self, command: dict[str, Any], unschedule: str | None) -> dict[str, Any]:
        team_id, channel_id = command["team_id"], command["channel_id"]
        note = ""
        if unschedule is not None:
            number = unschedule.strip().lstrip("#")
            if not number.isdigit():
                raise InputRejected("Usage: `/standup unschedule <id>` (ids are in `/standup schedules`).")
            removed = await self._workflows.schedules.remove(team_id, channel_id, int(number))
            if removed:
                await self._workflows.schedules_changed()
            note = f"Removed #{number}." if removed else f"There is no schedule #{number} in this channel."
        schedules = await self._workflows.schedules.in_channel(team_id, channel_id)
        return schedules_message(schedules, note)

    async def unschedule_button(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        click = Click.of(body)
        team_id, channel_id, value = click.team_id, click.channel_id, click.value
        removed = value.isdigit() and await self._workflows.schedules.remove(team_id, channel_id, int(value))
        if removed:
            await self._workflows.schedules_changed()
        schedules = await self._workflows.schedules.in_channel(team_id, channel_id)
        note = f"Removed #{value}." if removed else f"Schedule #{value} was already removed."
        await respond(replace_original=True, **schedules_message(schedules, note))

    async def _digest(
        self,
        command: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
        label: str,
        run: Callable[[], Awaitable[Any]],
    ) -> None:
        parent = await _post_parent(client, respond, command, f"asked for a standup digest: {label}")
        if parent is None:
            return
        try:
            result = await run()
        except ChatOpsError as exc:
            await _post(client, command, parent, f":warning: {escape(explain(exc))}")
            return
        message = digest_message(result.digest, self._links, problems=result.facts.problems)
        await _post(client, command, parent, message.text, message.blocks)

    # -- /triage -----------------------------------------------------------------------------

    async def triage(
        self, ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        try:
            key = self._workflows.drafted.triager.key(str(command.get("text", "")))
        except InputRejected as rejected:
            await ack(text=rejected.message)
            return
        await ack()
        parent = await _post_parent(client, respond, command, f"asked to triage {key}")
        if parent is not None:
            asker = Asker(command["team_id"], command["user_id"], command["channel_id"], parent)
            await self._workflows.drafted.triage(asker, key, self._origin(asker))

    # -- thread → Jira issue -----------------------------------------------------------------

    async def jira_create(
        self, ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        text = str(command.get("text", "")).strip()[len("create") :].strip()
        try:
            request = parse_request(text, self._workflows.default_project)
            if not request.text:
                raise InputRejected(
                    "Say what the issue is about, e.g. `/jira create OPS checkout times out`."
                )
        except InputRejected as rejected:
            await ack(text=rejected.message)
            return
        await ack()
        parent = await _post_parent(
            client, respond, command, f"asked for a Jira issue in {request.project}: {request.text}"
        )
        if parent is not None:
            asker = Asker(command["team_id"], command["user_id"], command["channel_id"], parent)
            await self._workflows.drafted.issue_from_thread(asker, request, (), self._origin(asker))

    async def issue_from_thread(
        self, ack: AsyncAck, body: dict[str, Any], shortcut: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        team_id = str((body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id") or "")
        user_id = str((body.get("user") or {}).get("id", ""))
        channel_id = str((body.get("channel") or {}).get("id", ""))
        message = body.get("message") or {}
        thread_ts = str(message.get("thread_ts") or message.get("ts") or "")
        asker = Asker(team_id, user_id, channel_id, thread_ts)
        if self._workflows.default_project is None:
            await _ephemeral(client, asker, NO_PROJECT)
            return
        thread = await self._thread(asker, str(message.get("text", "")))
        request = IssueRequest(self._workflows.default_project)
        await self._workflows.drafted.issue_from_thread(asker, request, thread, self._origin(asker))

    async def _thread(self, asker: Asker, clicked_text: str) -> tuple[Turn, ...]:
        """The thread as the bot stored it, ending with the message the shortcut was used on."""
        conversation = await self._store.find_conversation(asker.team_id, asker.channel, asker.thread_ts)
        turns = list(await self._store.history(conversation)) if conversation is not None else []
        if clicked_text.strip() and not any(turn.text == clicked_text for turn in turns):
            turns.append(Turn("user", clicked_text))
        return tuple(turns)

    def _origin(self, asker: Asker) -> Origin:
        # Proposed writes go below the draft.
        return Origin(
            "slack", asker.team_id, asker.channel, asker.thread_ts, asker.user_id, desk=self._desk is not None
        )


def schedules_message(schedules: list[ScheduleRecord], note: str = "") -> dict[str, Any]:
    """The channel's schedules, each with a Remove button; for an ephemeral reply."""
    blocks: list[dict[str, Any]] = []
    if note:
        blocks.append(_mrkdwn_section(escape(note)))
    if not schedules:
        blocks.append(_mrkdwn_section(f"No standup digests are scheduled in this channel. {SCHEDULE_USAGE}"))
    for schedule in schedules:
        scope = escape(schedule.scope or "the default scope")
        section = _mrkdwn_section(f"*#{schedule.id}* · {escape(schedule.spec.label)} · {scope}")
        section["accessory"] = {
            "type": "button",
            "action_id": UNSCHEDULE_ACTION,
            "text": {"type": "plain_text", "text": "Remove"},
            "value": str(schedule.id),
        }
        blocks.append(section)
    text = note or f"{len(schedules)} scheduled standup digest(s) in this channel."
    return {"text": text, "blocks": blocks}


def _mrkdwn_section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000], "verbatim": True}}


async def _post_parent(
    client: AsyncWebClient, respond: AsyncRespond, command: dict[str, Any], what: str
) -> str | None:
    """The visible parent message's ts, or None (and a private note) where the bot cannot post."""
    delivery = SlackDelivery(client, team=command["team_id"])
    try:
        return await delivery.post(command["channel_id"], f"<@{command['user_id']}> {escape(what)}")
    except DELIVERY_ERRORS as exc:
        await respond(text=CANNOT_POST.format(error=error_code(exc)), response_type="ephemeral")
        return None


async def _post(
    client: AsyncWebClient,
    command: dict[str, Any],
    thread_ts: str,
    text: str,
    blocks: list[dict[str, Any]] | None = None,
) -> None:
    channel = command["channel_id"]
    try:
        await SlackDelivery(client, team=command["team_id"]).post(
            channel, text, thread_ts=thread_ts, blocks=blocks
        )
    except DELIVERY_ERRORS as exc:
        log.error("could not post in %s (%s)", channel, error_code(exc))


async def _ephemeral(client: AsyncWebClient, asker: Asker, text: str) -> None:
    delivery = SlackDelivery(client, team=asker.team_id)
    try:
        await delivery.post_ephemeral(asker.channel, asker.user_id, escape(text), thread_ts=asker.thread_ts)
    except DELIVERY_ERRORS as exc:
        log.info("could not tell %s privately (%s)", asker.user_id, error_code(exc))
