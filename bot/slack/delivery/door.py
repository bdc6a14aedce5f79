"""The one door for the bot's writes to Slack: every call takes a slot in the workspace's budget.

``SlackDelivery.call`` waits its turn (or, with ``wait=False``, refuses at once with
``BudgetExhausted``), then calls the Web API through the SDK client, whose 429 handler records
``Retry-After`` in the same budget. ``post``, ``update``, ``post_ephemeral``, ``unfurl`` and
``say`` are the plain writes listeners make, links in them never unfurled; no other module calls
Slack's chat methods (``tests/test_architecture.py``). The error sets here say which refusal
calls for which step down the delivery ladder: stream → post + update → response_url.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.slack.delivery.budget import BudgetExhausted, SlackBudget
from bot.slack.delivery.client import budget_of
from bot.slack.delivery.counters import DeliveryCounters, Rung

log = logging.getLogger(__name__)

# Never let Slack expand links in bot output: a link in an answer is cited, not previewed.
NO_UNFURL: dict[str, Any] = {"unfurl_links": False, "unfurl_media": False}

# What a failed Slack call can raise once the SDK's own retries are used up.
DELIVERY_ERRORS = (SlackClientError, aiohttp.ClientError, TimeoutError, BudgetExhausted)

# A stream cannot be opened here or now, but a posted message can.
STREAM_REFUSALS = frozenset(
    {
        "ratelimited",
        "rate_limited",
        "channel_type_not_supported",
        "not_in_channel",
        "missing_recipient_user_id",
        "missing_recipient_team_id",
        "messages_tab_disabled",
        "not_allowed_token_type",
        "unknown_method",
        "feature_not_enabled",
    }
)
# The bot cannot post in this conversation; a slash command's response_url still can.
CANNOT_POST = frozenset(
    {
        "not_in_channel",
        "channel_not_found",
        "is_archived",
        "restricted_action",
        "restricted_action_read_only_channel",
        "restricted_action_thread_only_channel",
        "restricted_action_non_threadable_channel",
        "restricted_action_thread_locked",
        "team_access_not_granted",
    }
)
# The bot's token is refused outright; only the webhook (which needs no token) is left.
TOKEN_REFUSED = frozenset(
    {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "missing_scope"}
)
# The stream is over on Slack's side (expired after ~5 minutes, or stopped by the user).
STREAM_ENDED = frozenset({"message_not_in_streaming_state", "stopped_by_user"})


def error_code(error: BaseException) -> str:
    """A short, secret-free description of a failed Slack call, for logs and counters."""
    if isinstance(error, SlackApiError):
        return str(error.response.get("error", "unknown_error"))
    if isinstance(error, BudgetExhausted):
        return "ratelimited"
    return type(error).__name__


def next_rung(rung: Rung, code: str) -> Rung:
    """Where to go after ``rung`` was refused with ``code``."""
    if rung == "stream":
        if code in TOKEN_REFUSED:
            return "response_url"
        return "post"  # any other refusal to stream: a plain message is the safer bet
    if rung == "post" and code in CANNOT_POST | TOKEN_REFUSED:
        return "response_url"
    return "none"


class SlackDelivery:
    """A workspace's view of the client, its budget and the delivery counters."""

    def __init__(self, client: AsyncWebClient, *, team: str, budget: SlackBudget | None = None) -> None:
        self.client = client
        self.budget = budget or budget_of(client) or SlackBudget()
        self.team = team or self.budget.default_team

    @property
    def counters(self) -> DeliveryCounters:
        return self.budget.counters

    async def call(
        self,
        method: str,
        args: dict[str, Any],
        *,
        channel: str | None = None,
        wait: bool = True,
        reserve: int = 0,
    ) -> AsyncSlackResponse:
        """Call ``method`` with ``args`` as JSON once a slot is free; raises what the SDK raises.

        ``wait=False``: refuse with ``BudgetExhausted`` unless a slot is free now with ``reserve``
        more left over.
        """
        async with self.budget.slot(self.team, method, channel=channel, wait=wait, reserve=reserve):
            return await self.client.api_call(method, json=args)

    async def rewrite(
        self, args: dict[str, Any], *, final: bool, wait: bool = True, reserve: int = 0
    ) -> bool:
        """``chat.update`` of a growing answer: True once Slack shows ``args``; a failed update is
        logged (an error when it was the final one) and False. ``BudgetExhausted`` is raised, so
        the caller can step down the ladder."""
        try:
            await self.call("chat.update", args, wait=wait, reserve=reserve)
        except BudgetExhausted:
            raise
        except DELIVERY_ERRORS as error:
            level = logging.ERROR if final else logging.WARNING
            log.log(level, "slack chat.update of %s failed (%s)", args.get("ts"), error_code(error))
            return False
        return True

    async def post(
        self,
        channel: str,
        text: str,
        *,
        thread_ts: str | None = None,
        blocks: Sequence[Mapping[str, Any]] | None = None,
    ) -> str:
        """Post a message (in ``thread_ts``'s thread when given); its ts. Raises ``DELIVERY_ERRORS``."""
        args = _present(channel=channel, thread_ts=thread_ts, text=text, blocks=blocks) | NO_UNFURL
        response = await self.call("chat.postMessage", args, channel=channel)
        return str(response["ts"])

    async def update(
        self, channel: str, ts: str, text: str, *, blocks: Sequence[Mapping[str, Any]] | None = None
    ) -> None:
        """Replace message ``ts``'s text (and blocks). Raises ``DELIVERY_ERRORS``."""
        args = _present(channel=channel, ts=ts, text=text, blocks=blocks) | NO_UNFURL
        await self.call("chat.update", args, channel=channel)

    async def post_ephemeral(
        self, channel: str, user: str, text: str, *, thread_ts: str | None = None
    ) -> None:
        """Show ``text`` to ``user`` alone. Raises ``DELIVERY_ERRORS``."""
        args = _present(channel=channel, user=user, text=text, thread_ts=thread_ts)
        await self.call("chat.postEphemeral", args, channel=channel)

    async def unfurl(
        self,
        unfurls: Mapping[str, Any],
        *,
        channel: str | None = None,
        ts: str | None = None,
        unfurl_id: str | None = None,
        source: str | None = None,
    ) -> None:
        """Attach previews to links of a posted message (``channel`` + ``ts``) or of one still in
        the composer (``unfurl_id`` + ``source``). Raises ``DELIVERY_ERRORS``."""
        where = _present(channel=channel, ts=ts, unfurl_id=unfurl_id, source=source)
        await self.call("chat.unfurl", {"unfurls": dict(unfurls), **where}, channel=channel)

    async def remove(self, channel: str, ts: str) -> bool:
        """Delete the bot's message ``ts``; a failure (already gone) is logged, not raised."""
        try:
            await self.call("chat.delete", {"channel": channel, "ts": ts}, channel=channel)
        except DELIVERY_ERRORS as error:
            log.info("could not delete %s in %s: %s", ts, channel, error_code(error))
            return False
        return True

    async def say(self, channel: str, text: str, *, thread_ts: str | None = None) -> bool:
        """Post a notice nobody waits on; a failure is logged, not raised. Whether it was posted."""
        try:
            await self.post(channel, text, thread_ts=thread_ts)
        except DELIVERY_ERRORS as error:
            log.warning("could not post in %s (thread %s): %s", channel, thread_ts, error_code(error))
            return False
        return True

    def has_room(self, method: str, reserve: int = 0) -> bool:
        """Whether ``method`` has a free slot now with ``reserve`` more left over."""
        return self.budget.delay(self.team, method, reserve=reserve) == 0

    def promise(self, method: str) -> None:
        self.budget.promise(self.team, method)

    def fulfil(self, method: str) -> None:
        self.budget.fulfil(self.team, method)

    def promised(self, method: str) -> int:
        return self.budget.promised(self.team, method)

    async def ready(self, method: str, channel: str | None = None) -> None:
        """Wait until ``method`` could be called (callers coalesce their text meanwhile)."""
        await self.budget.ready(self.team, method, channel)

    def step_down(self, from_rung: Rung, to_rung: Rung, code: str, channel: str) -> None:
        self.counters.step_down(from_rung, to_rung, code)
        level = logging.ERROR if to_rung == "none" else logging.INFO
        log.log(level, "slack delivery in %s: %s refused (%s); now %s", channel, from_rung, code, to_rung)


def _present(**args: object) -> dict[str, Any]:
    # Slack reads a JSON null as a value; an argument not given is left out.
    return {name: value for name, value in args.items() if value is not None}
