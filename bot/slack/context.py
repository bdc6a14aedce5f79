"""The log context of a Slack request: which team, channel and thread it is about.

A Bolt middleware puts these into ``bot.log``'s context before any listener runs; listeners Bolt
starts copy the context, so every record they (and the runs they start) log names the thread.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.log import log_context


def slack_log_fields(body: Any) -> dict[str, str]:
    """team, channel and thread_ts from an Events API body, a slash command or an interaction."""
    if not isinstance(body, dict):
        return {}
    event = _mapping(body.get("event"))
    message = _mapping(body.get("message"))
    channel = body.get("channel")
    team = body.get("team")
    fields = {
        "team": body.get("team_id")
        or (team.get("id") if isinstance(team, dict) else None)
        or event.get("team"),
        "channel": body.get("channel_id")
        or (channel.get("id") if isinstance(channel, dict) else None)
        or event.get("channel"),
        "thread_ts": event.get("thread_ts")
        or event.get("ts")
        or message.get("thread_ts")
        or message.get("ts"),
    }
    return {key: str(value)[:64] for key, value in fields.items() if isinstance(value, str) and value}


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


async def log_context_middleware(body: dict[str, Any], next: Callable[[], Awaitable[None]]) -> None:
    with log_context(**slack_log_fields(body)):
        await next()
