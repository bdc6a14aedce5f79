"""Slack ingress: a Bolt AsyncApp whose listeners stay thin and hand questions to Intake.

Surfaces: `/ask <question>`, `app_mention`, replies in threads the bot is part of, and DMs.
Cross-cutting concerns are middleware (``bot.slack.middleware``): Slack retries (same
`event_id`) are dropped before any listener runs, and a command runs once per `trigger_id`.
A mention inside a thread (delivered both as `app_mention` and as `message`) is claimed once
by its (team, channel, ts).
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk.web.async_client import AsyncWebClient

from bot.approvals import ApprovalDesk
from bot.errors import InputRejected, ShuttingDown
from bot.lookup import LinkPolicy, Lookup, Unfurler
from bot.ports import Origin, SearchGrant
from bot.runs import details_for, is_details_request
from bot.slack.context import log_context_middleware
from bot.slack.delivery import DELIVERY_ERRORS, SlackConnection, SlackDelivery, error_code, session_title
from bot.slack.files import SlackFiles, file_refs
from bot.slack.listeners import (
    answer_memory_request,
    memory_request,
    register_approvals,
    register_details,
    register_feedback,
    register_home,
    register_lookup,
    register_stop,
    register_unfurls,
    register_workflows,
)
from bot.slack.middleware import drop_redeliveries, listener_errors, once_per_trigger
from bot.slack.search import SlackSearch
from bot.store import Store
from bot.text import escape
from bot.workflows import Inquiry, Intake, Trigger, Workflows

log = logging.getLogger(__name__)


class _ClientWins(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself and warns, at every start, that the client it is given wins
    over it. It does, on purpose (that client carries the call budget): the warning is dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


logging.getLogger("slack_bolt.AsyncApp").addFilter(_ClientWins())

_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
# Message subtypes that are a person talking; everything else (edits, joins, bot posts) is ignored.
_PERSON_SUBTYPES = {None, "thread_broadcast", "file_share"}


def build_slack_app(
    intake: Intake,
    store: Store,
    slack: SlackConnection,
    *,
    signing_secret: str | None,
    socket_mode: bool = False,
    lookup: Lookup | None = None,
    links: LinkPolicy | None = None,
    unfurler: Unfurler | None = None,
    desk: ApprovalDesk | None = None,
    workflows: Workflows | None = None,
    answer_footer: bool = True,
) -> AsyncApp:
    async def authorize() -> AuthorizeResult:
        return slack.identity

    app = AsyncApp(
        client=slack.app_client(),
        authorize=authorize,
        signing_secret=signing_secret or None,
        request_verification_enabled=not socket_mode,
        process_before_response=False,
    )
    listeners = _Listeners(intake, store, desk, answer_footer=answer_footer)
    intake.read_files_with(SlackFiles(slack.client, api_url=slack.client.base_url))  # files of questions
    intake.search_with(SlackSearch(slack.client))  # Slack's discussion as the agent's evidence
    app.middleware(log_context_middleware)  # team/channel/thread on every record a request logs
    app.middleware(drop_redeliveries(store))
    app.error(listener_errors)
    app.command("/ask", middleware=[once_per_trigger(store, "command")])(listeners.ask)
    app.event("app_mention")(listeners.mention)
    app.event("message")(listeners.message)
    register_feedback(app, store)  # 👍/👎 under each answer
    register_details(app, store)  # Details beside them: the run's trace, for its asker
    register_stop(app, intake, store)  # our Stop below a non-streamed answer; Slack's session Stop
    register_home(app, store)  # the Messages tab: suggested prompts, the channel the user views
    if workflows is not None:  # /standup, /triage, `/jira create` (before /jira), the thread shortcut
        register_workflows(app, workflows, store, links or LinkPolicy(frozenset()), desk, slack.client)
    if lookup is not None:  # /jira, /gh and their buttons
        register_lookup(app, lookup, store, links or LinkPolicy(frozenset()))
    if unfurler is not None:  # link_shared -> chat.unfurl with the same cards
        register_unfurls(app, unfurler, links or LinkPolicy(frozenset()))
    if desk is not None:  # Approve / Edit / Deny on proposed writes
        register_approvals(app, desk, links or LinkPolicy(frozenset()))
    return app


class _Listeners:
    def __init__(
        self, intake: Intake, store: Store, desk: ApprovalDesk | None = None, *, answer_footer: bool = True
    ) -> None:
        self._answer_footer = answer_footer
        self._intake = intake
        self._store = store
        self._desk = desk

    async def ask(
        self, ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        try:
            question = self._intake.clean(command.get("text", ""))
        except InputRejected as rejected:
            await ack(text=rejected.message)
            return
        if is_details_request(question):  # `/ask why`: how the last answer here came about, only to the asker
            await ack(
                text=await details_for(
                    self._store, command["team_id"], command["channel_id"], command["user_id"]
                )
            )
            return
        await ack()
        team_id, channel_id, user_id = command["team_id"], command["channel_id"], command["user_id"]
        try:
            parent_ts = await SlackDelivery(client, team=team_id).post(
                channel_id, f"<@{user_id}> asked: {escape(question)}"
            )
        except DELIVERY_ERRORS as exc:
            await respond(
                text=f"I can't post in this conversation ({error_code(exc)}). "
                "Invite me to the channel and ask again."
            )
            return
        inquiry = Inquiry(team_id, channel_id, parent_ts, user_id, question, "ask")
        await self._start(inquiry, client, respond=respond)

    async def mention(self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient) -> None:
        if not await self._claim_message(body, event):
            return
        thread_ts = event.get("thread_ts") or event["ts"]
        inquiry = self._inquiry(body, event, thread_ts, "mention")
        if event.get("thread_ts") and await self._answer_memory(inquiry, client):
            return
        await self._start(inquiry, client)

    async def message(self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("subtype") not in _PERSON_SUBTYPES or event.get("bot_id") or not event.get("user"):
            return
        if event.get("channel_type") == "im":
            trigger: Trigger = "dm"
            thread_ts = event.get("thread_ts") or event["ts"]
        elif event.get("thread_ts"):
            thread_ts = event["thread_ts"]
            team_id = _team_id(body, event)
            if await self._store.find_conversation(team_id, event["channel"], thread_ts) is None:
                return  # a thread the bot is not part of: leave it to app_mention
            trigger = "followup"
        else:
            return  # top-level channel chatter; mentions arrive as app_mention
        if not await self._claim_message(body, event):
            return
        inquiry = self._inquiry(body, event, thread_ts, trigger)
        if trigger == "followup" and await self._answer_memory(inquiry, client):
            return
        # A new thread in the Messages tab (a DM's top-level message) is named once, by its question.
        title = session_title(inquiry.text) if trigger == "dm" and not event.get("thread_ts") else ""
        await self._start(inquiry, client, session=trigger == "dm", title=title)

    async def _viewing(self, inquiry: Inquiry) -> Inquiry:
        return await _viewing_of(self._store, inquiry)

    async def _answer_memory(self, inquiry: Inquiry, client: AsyncWebClient) -> bool:
        """Answer "what do you know here?" / "forget this thread" from the store, without a run."""
        request = memory_request(inquiry.text)
        if request is None:
            return False
        reply = await answer_memory_request(
            self._store, request, inquiry.team_id, inquiry.channel_id, inquiry.thread_ts
        )
        await _say_in_thread(client, inquiry, reply)
        return True

    async def _claim_message(self, body: dict[str, Any], event: dict[str, Any]) -> bool:
        return await self._store.claim(f"message:{_team_id(body, event)}:{event['channel']}:{event['ts']}")

    def _inquiry(
        self, body: dict[str, Any], event: dict[str, Any], thread_ts: str, trigger: Trigger
    ) -> Inquiry:
        text = _MENTION.sub("", event.get("text", "")).strip()
        files = file_refs(event)
        team_id, grant = _team_id(body, event), _search_grant(event, trigger)
        return Inquiry(team_id, event["channel"], thread_ts, event["user"], text, trigger, files, grant)

    async def _start(
        self,
        inquiry: Inquiry,
        client: AsyncWebClient,
        *,
        respond: AsyncRespond | None = None,
        session: bool = False,
        title: str = "",
    ) -> None:
        origin = Origin(
            "slack",
            inquiry.team_id,
            inquiry.channel_id,
            inquiry.thread_ts,
            inquiry.user_id,
            # The last rung where the bot cannot post in the channel: the command's response_url.
            response_url=respond.response_url if respond is not None else None,
            footer=self._answer_footer,
            feedback=True,
            stop=True,  # only the asker sees Slack's Stop on the stream, or may click ours
            desk=self._desk is not None,
            agent_session=session,  # a DM is the Messages tab: Slack's agent session, with its Stop
            session_title=title,
        )
        inquiry = await self._viewing(inquiry)
        try:
            await self._intake.accept(inquiry, origin)
        except (InputRejected, ShuttingDown) as refused:
            await _say_in_thread(client, inquiry, f":information_source: {refused.message}")


async def _viewing_of(store: Store, inquiry: Inquiry) -> Inquiry:
    """A DM question searches from the channel its asker is viewing beside the Messages tab."""
    grant = inquiry.grant
    if grant is None or inquiry.trigger != "dm" or grant.context_channel_id:
        return inquiry
    viewed = await store.viewed_channel(inquiry.team_id, inquiry.user_id)
    return replace(inquiry, grant=replace(grant, context_channel_id=viewed)) if viewed else inquiry


def _search_grant(event: dict[str, Any], trigger: Trigger) -> SearchGrant | None:
    """Slack's leave to search its discussion for this message (its ``action_token``), if given:
    searched from the channel it was posted in; a DM's from where its asker is (``_viewing_of``)."""
    token = event.get("action_token")
    if not isinstance(token, str) or not token:
        return None
    return SearchGrant(token, None if trigger == "dm" else str(event["channel"]))


async def _say_in_thread(client: AsyncWebClient, inquiry: Inquiry, text: str) -> None:
    delivery = SlackDelivery(client, team=inquiry.team_id)
    await delivery.say(inquiry.channel_id, text, thread_ts=inquiry.thread_ts)


def _team_id(body: dict[str, Any], event: dict[str, Any]) -> str:
    return str(body.get("team_id") or event.get("team") or "")
