"""SIMULATED Slack Real-time Search: ``assistant.search.context`` over the workspace's messages.

Like Slack for a bot token: the call needs the ``search:read.public`` scope and the
``action_token`` of an event the app received (the simulator accepts only tokens it minted:
``mint_action_token``, which a test puts into the event it delivers); it finds messages people
posted in public channels (``SlackSimulator.post_user_message`` seeds them), never private
channels, DMs or bot posts, and answers each hit with its author, channel, ts, content and
permalink. A workspace without the feature answers ``feature_not_enabled`` (``enabled``). Rate
limits are the tier table's (``simulators.slack.tiers``). Matching is by keyword: a message
matches when it contains one of the query's words, the more words the higher it ranks.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

SEARCH_METHOD = "assistant.search.context"
SEARCH_SCOPE = "search:read.public"
MAX_LIMIT = 20
DEFAULT_LIMIT = 20
PERMALINK_BASE = "https://simulated-workspace.slack.invalid/archives"

_WORD = re.compile(r"[a-z0-9][a-z0-9_#-]*")
# Words every message has: matching on them would rank chatter as evidence.
_STOP_WORDS = frozenset(
    "a an and are as at be but by did do does for from has have how i in is it its me my of on or our "
    "the their there this to was we were what when where which who why will with you".split()
)


class SearchedMessage(Protocol):
    """What the search reads of a message the workspace holds (``SimulatedMessage``)."""

    channel: str
    ts: str
    user: str
    text: str
    bot_id: str | None


@dataclass(frozen=True, slots=True)
class Channel:
    name: str
    private: bool = False


class RealTimeSearch:
    """The workspace's search: its setting, the action tokens it issued, its channels' names."""

    def __init__(
        self,
        messages: Callable[[], Iterable[SearchedMessage]],
        scopes: Callable[[], Sequence[str]],
        *,
        enabled: bool = True,
    ) -> None:
        self._messages = messages
        self._scopes = scopes
        self.enabled = enabled  # False: the workspace has no Real-time Search (feature_not_enabled)
        self._tokens: set[str] = set()
        self._channels: dict[str, Channel] = {}
        self._users: dict[str, str] = {}

    def mint_action_token(self) -> str:
        """A fresh action token, as Slack puts one into each event it delivers to an agent app."""
        token = f"sim-action-{uuid.uuid4().hex}"
        self._tokens.add(token)
        return token

    def revoke_action_tokens(self) -> None:
        """Every token issued so far stops working (they are short-lived)."""
        self._tokens.clear()

    def name_channel(self, channel_id: str, name: str, *, private: bool = False) -> None:
        self._channels[channel_id] = Channel(name, private)

    def name_user(self, user_id: str, name: str) -> None:
        self._users[user_id] = name

    def context(self, args: dict[str, Any]) -> dict[str, Any]:
        """The method handler: ``{"ok": true, "results": {"messages": [...]}}`` or Slack's error."""
        refusal = self._refusal(args)
        if refusal is not None:
            return {"ok": False, "error": refusal}
        terms = _terms(str(args["query"]))
        limit = int(args.get("limit") or DEFAULT_LIMIT)
        scored = [(_score(message.text, terms), message) for message in self._public_messages()]
        ranked = sorted((pair for pair in scored if pair[0] > 0), key=lambda pair: (-pair[0], pair[1].ts))
        hits = [self._hit(message) for _, message in ranked[:limit]]
        return {"ok": True, "results": {"messages": hits}, "response_metadata": {"next_cursor": ""}}

    def _refusal(self, args: dict[str, Any]) -> str | None:
        if SEARCH_SCOPE not in self._scopes():
            return "missing_scope"
        query = args.get("query")
        if not isinstance(query, str) or not query.strip():
            return "invalid_arguments"
        limit = args.get("limit", DEFAULT_LIMIT)
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
            return "invalid_arguments"
        if args.get("action_token") not in self._tokens:
            return "invalid_action_token"
        if not self.enabled:
            return "feature_not_enabled"
        return None

    def _public_messages(self) -> list[SearchedMessage]:
        return [
            message
            for message in self._messages()
            if message.bot_id is None and self._is_public(message.channel)
        ]

    def _is_public(self, channel_id: str) -> bool:
        known = self._channels.get(channel_id)
        return channel_id.startswith("C") and not (known is not None and known.private)

    def _hit(self, message: SearchedMessage) -> dict[str, Any]:
        channel = self._channels.get(message.channel)
        return {
            "author_name": self._users.get(message.user, message.user.lower()),
            "author_user_id": message.user,
            "user_id": message.user,
            "channel_id": message.channel,
            "channel_name": channel.name if channel else message.channel.lower(),
            "message_ts": message.ts,
            "content": message.text,
            "is_author_bot": False,
            "permalink": f"{PERMALINK_BASE}/{message.channel}/p{message.ts.replace('.', '')}",
        }


def _terms(query: str) -> set[str]:
    return {word for word in _WORD.findall(query.lower()) if word not in _STOP_WORDS}


def _score(text: str, terms: set[str]) -> int:
    words = set(_WORD.findall(text.lower()))
    return len(terms & words)
