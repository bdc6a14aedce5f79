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
        self, text: str, *, channel: str = "C0GENERAL", user: str = ASKER
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
                "command": "/ask",
                "text": text,
                "api_app_id": "A0SIMAPP",
                "is_enterprise_install": "false",
                "response_url": "http://127.0.0.1:9/unused",
                "trigger_id": uuid.uuid4().hex,
            }
        )
        headers = {"Content-Type": "application/x-www-form-urlencoded", **self.sign(body)}
        return body, headers

    def event(self, event: dict[str, Any], *, event_id: str | None = None) -> tuple[str, dict[str, str]]:
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


def message_ts() -> str:
    return f"{time.time():.6f}"
