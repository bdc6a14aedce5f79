"""Builds Slack's HTTP requests the way Slack does: signed slash commands and event callbacks."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

TEAM = "T0SIMTEAM"
BOT_USER = "U0SIMBOT"
ASKER = "U0ASKER1"


class SlackRequests:
    def __init__(self, signing_secret: str) -> None:
        self._verifier = SignatureVerifier(signing_secret)

    def sign(self, body: str, *, timestamp: int | None = None) -> dict[str, str]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        return {
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": self._verifier.generate_signature(timestamp=ts, body=body),
        }

    def command(
        self,
        text: str,
        *,
        channel: str = "C0GENERAL",
        user: str = ASKER,
        command: str = "/ask",
        response_url: str = "http://127.0.0.1:9/unused",
    ) -> tuple[str, dict[str, str]]:
        body = urlencode(
            {
                "token": "deprecated",
                "team_id": TEAM,
                "team_domain": "sim",
                "channel_id": channel,
                "channel_name": "general",
                "user_id": user,
                "user_name": "asker",
                "command": command,
                "text": text,
                "api_app_id": "A0SIMAPP",
                "is_enterprise_install": "false",
                "response_url": response_url,
                "trigger_id": uuid.uuid4().hex,
            }
        )
        headers = {"Content-Type": "application/x-www-form-urlencoded", **self.sign(body)}
        return body, headers

    def mention(
        self,
        channel: str,
        text: str,
        *,
        root: str | None = None,
        action_token: str | None = None,
        files: list[dict[str, Any]] | None = None,
    ) -> tuple[str, str, dict[str, str]]:
        """An @mention of the bot starting a thread in ``channel``: its ts, and the signed request
        (with Slack's ``action_token`` for Real-time Search, and the ``files`` shared with it, when given)."""
        root = root or f"{time.time():.6f}"
        event: dict[str, Any] = {
            "type": "app_mention",
            "user": ASKER,
            "text": f"<@{BOT_USER}> {text}",
            "ts": root,
            "channel": channel,
        }
        if files is not None:
            event["files"] = files
        return (root, *self.event(event, action_token=action_token))

    def dm(
        self, text: str, *, channel: str = "D0DIRECT", thread_ts: str | None = None
    ) -> tuple[str, str, dict[str, str]]:
        """A message in the app's Messages tab (a DM): its ts, and the signed request."""
        ts = message_ts()
        event = {
            "type": "message",
            "user": ASKER,
            "text": text,
            "ts": ts,
            "channel": channel,
            "channel_type": "im",
        }
        if thread_ts is not None:
            event["thread_ts"] = thread_ts
        return (ts, *self.event(event))

    def app_home_opened(
        self, tab: str = "messages", *, channel: str = "D0DIRECT"
    ) -> tuple[str, dict[str, str]]:
        """The asker opened the app's ``tab`` ("messages" or "home")."""
        return self.event(
            {"type": "app_home_opened", "user": ASKER, "channel": channel, "tab": tab, "ts": message_ts()}
        )

    def agent_session_stopped(
        self, thread_ts: str, *, channel: str = "D0DIRECT", user: str = ASKER, streams: tuple[str, ...] = ()
    ) -> tuple[str, dict[str, str]]:
        """Slack's own Stop on the agent session of ``thread_ts``, pressed by ``user``."""
        event = {
            "type": "agent_session_stopped",
            "channel": channel,
            "thread_ts": thread_ts,
            "user": user,
            "streaming_message_ts": list(streams),
            "ts": message_ts(),
        }
        return self.event(event)

    def app_context_changed(
        self, *entities: dict[str, Any], channel: str = "D0DIRECT", user: str = ASKER
    ) -> tuple[str, dict[str, str]]:
        """What ``user`` views beside the Messages tab changed to ``entities`` (none: ``context: {}``)."""
        context = {"entities": list(entities)} if entities else {}
        event = {"type": "app_context_changed", "user": user, "channel": channel, "context": context}
        return self.event({**event, "ts": message_ts()})

    def event(
        self, event: dict[str, Any], *, event_id: str | None = None, action_token: str | None = None
    ) -> tuple[str, dict[str, str]]:
        """The signed event callback; ``action_token`` goes at the event's top level, where Slack
        puts it for agent apps (``simulators.slack.search`` mints them)."""
        if action_token is not None:
            event = {**event, "action_token": action_token}
        envelope = {
            "token": "deprecated",
            "team_id": TEAM,
            "api_app_id": "A0SIMAPP",
            "event": {"team": TEAM, "event_ts": event.get("ts", ""), **event},
            "type": "event_callback",
            "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": TEAM,
                    "user_id": BOT_USER,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
        }
        body = json.dumps(envelope)
        headers = {"Content-Type": "application/json", **self.sign(body)}
        return body, headers

    def block_action(
        self,
        action: dict[str, Any],
        *,
        message: dict[str, Any],
        channel: str = "C0GENERAL",
        user: str = ASKER,
        response_url: str = "http://127.0.0.1:9/unused",
        ephemeral: bool = False,
    ) -> tuple[str, dict[str, str]]:
        """A click on a button of ``message`` (as the simulator reports it; for an ephemeral one, its ts)."""
        payload = {
            "type": "block_actions",
            "user": {"id": user, "username": "asker", "team_id": TEAM},
            "api_app_id": "A0SIMAPP",
            "token": "deprecated",
            "trigger_id": uuid.uuid4().hex,
            "team": {"id": TEAM, "domain": "sim"},
            "channel": {"id": channel, "name": "general"},
            "container": {
                "type": "message",
                "message_ts": message["ts"],
                "channel_id": channel,
                "is_ephemeral": ephemeral,
            },
            "response_url": response_url,
            "actions": [{"action_ts": f"{time.time():.6f}", "type": "button", **action}],
        }
        if not ephemeral:  # Slack sends no copy of an ephemeral message
            fields = ("type", "ts", "thread_ts", "text", "blocks")
            payload["message"] = {key: message[key] for key in fields if key in message}
        body = urlencode({"payload": json.dumps(payload)})
        headers = {"Content-Type": "application/x-www-form-urlencoded", **self.sign(body)}
        return body, headers


def message_ts() -> str:
    return f"{time.time():.6f}"
