"""Who the bot is in Slack: one ``auth.test`` with the bot token, and the scopes Slack granted.

``chatops doctor`` asks this instead of calling Slack itself, so that only ``bot.slack`` speaks
to Slack's libraries.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from slack_sdk.errors import SlackApiError

from bot.slack.delivery import build_web_client


@dataclass(frozen=True)
class Identity:
    """The workspace and bot user a token belongs to, and the OAuth scopes it was granted."""

    team: str
    user_id: str
    scopes: frozenset[str]


class ProbeFailed(Exception):
    """``auth.test`` did not answer with an identity: Slack refused the token or was not reached."""

    def __init__(self, reason: Literal["refused", "unreachable"], detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


async def identify(token: str, api_url: str) -> Identity:
    """Call ``auth.test``; raise `ProbeFailed` with Slack's error code or the transport failure."""
    client = build_web_client(token, api_url)
    try:
        auth = await client.auth_test()
    except SlackApiError as exc:
        raise ProbeFailed("refused", str(exc.response.get("error"))) from None
    except Exception as exc:
        raise ProbeFailed("unreachable", type(exc).__name__) from None
    return Identity(
        team=str(auth.get("team")), user_id=str(auth.get("user_id")), scopes=granted_scopes(auth.headers)
    )


def granted_scopes(headers: Mapping[str, Any]) -> frozenset[str]:
    """The scopes in Slack's ``X-OAuth-Scopes`` response header (any letter case)."""
    for name, value in headers.items():
        if name.lower() == "x-oauth-scopes":
            text = value[0] if isinstance(value, list) else str(value)
            return frozenset(scope.strip() for scope in text.split(",") if scope.strip())
    return frozenset()
