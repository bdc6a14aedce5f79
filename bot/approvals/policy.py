"""Who may approve writes, and where: WRITE_USERS and WRITE_CHANNELS from the settings.

Per-project and per-repository limits are the clients' allowlists (JIRA_PROJECTS, GITHUB_REPOS),
checked before any request; this policy only says whether a person may approve a write at all.
The answer is computed when the proposal is made (so the preview can say so) and again when the
decision arrives (settings may have changed across a restart).

A write an MCP client asked for (`chatops mcp`) has no asker in Slack: anyone of the workspace this
policy allows in MCP_APPROVAL_CHANNEL may approve or deny it. With WRITE_USERS empty that is
everyone in the channel, so set WRITE_USERS when chatops mcp serves writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class WritePolicy:
    users: frozenset[str] = frozenset()  # empty: everyone may approve
    channels: frozenset[str] = frozenset()  # empty: every channel

    @classmethod
    def of(cls, users: Iterable[str] = (), channels: Iterable[str] = ()) -> WritePolicy:
        return cls(frozenset(users), frozenset(channels))

    def refusal(self, user_id: str, channel: str) -> str | None:
        """Why this user may not approve writes in this channel, or None when they may."""
        if self.users and user_id not in self.users:
            return "You are not on the list of people who may approve writes (WRITE_USERS)."
        if self.channels and channel not in self.channels:
            return "Writes cannot be approved in this channel (WRITE_CHANNELS)."
        return None
