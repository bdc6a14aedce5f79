"""The app's Messages tab, the agent's home: its suggested prompts, and where the user is.

When a user opens the tab (``app_home_opened`` with ``tab == "messages"``) the bot sets the
prompts at its top; the Home tab is not the agent's and is left alone. The same prompts are in
``manifest.yml`` (a test keeps the two equal). While the tab is open, Slack reports what the
user is viewing beside it (``app_context_changed``, entities ordered by relevance): the first
channel among them is remembered per (team, user) in the store, for the fleet to read as the
channel a DM question was asked from (``bot.ports.ViewedChannels``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.delivery import Prompt, SlackDelivery, suggest_prompts
from bot.store import Store

MESSAGES_TAB = "messages"
CHANNEL_ENTITY = "slack#/types/channel_id"

# Chat-ops questions a person can send as they are; at most four (Slack's limit).
PROMPTS = (
    Prompt("Why is it blocked?", "Why is OPS-2 blocked, and who can unblock it?"),
    Prompt("Is the PR ready?", "Is acme/payments#42 ready to merge? Check its reviews and CI."),
    Prompt("Review queue", "Which pull requests in acme/payments are waiting for review?"),
    Prompt("Failing CI", "Why did the last CI run on main in acme/payments fail?"),
)


def viewed_channel(event: Mapping[str, Any]) -> str | None:
    """The channel an ``app_context_changed`` event says the user views, or None (not a channel)."""
    context = event.get("context")
    entities = context.get("entities") if isinstance(context, Mapping) else None
    for entity in entities if isinstance(entities, list) else []:
        if isinstance(entity, Mapping) and entity.get("type") == CHANNEL_ENTITY:
            value = entity.get("value")
            if isinstance(value, str) and value:
                return value
    return None


def register_home(app: AsyncApp, store: Store) -> None:
    async def opened(event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab") != MESSAGES_TAB or not event.get("channel"):
            return
        door = SlackDelivery(client, team=_team_id(body, event))
        await suggest_prompts(door, event["channel"], PROMPTS)

    async def context_changed(event: dict[str, Any], body: dict[str, Any]) -> None:
        user = event.get("user")
        if isinstance(user, str) and user:
            await store.remember_viewed_channel(_team_id(body, event), user, viewed_channel(event))

    app.event("app_home_opened")(opened)
    app.event("app_context_changed")(context_changed)


def _team_id(body: Mapping[str, Any], event: Mapping[str, Any]) -> str:
    return str(body.get("team_id") or event.get("team") or "")
