"""How fast the bot may call each Slack Web API method: the tier table, in one place.

Slack limits calls "per API method per workspace per app" and tolerates short bursts
(docs.slack.dev/apis/web-api/rate-limits). The rates are the documented minimums. Slack does not
say how much burst it tolerates, so the bursts here are small, a few seconds' worth: a refused
call pauses its method for the whole workspace (``Retry-After``), which costs far more than
pacing the call would have. chat.postMessage, about one a second per channel, is paced a little
slower than that, because calls reserved a second apart can reach Slack closer together.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limit:
    """A steady rate with a burst allowance; ``per_channel`` limits count each channel on its own."""

    per_minute: float
    burst: int
    per_channel: bool = False

    @property
    def interval(self) -> float:
        """Seconds between calls at the steady rate."""
        return 60.0 / self.per_minute


TIER_1 = Limit(per_minute=1, burst=1)
TIER_2 = Limit(per_minute=20, burst=2)
TIER_3 = Limit(per_minute=50, burst=2)
TIER_4 = Limit(per_minute=100, burst=5)
# "Special" tiers, as documented: chat.postMessage about one per second per channel, paced at
# 0.95/s with a burst of two: calls reserved a second apart can leave a busy process, or cross
# the network, closer together than that.
POST_PER_CHANNEL = Limit(per_minute=57, burst=2, per_channel=True)
# Undocumented ("Special"); generous, since a status is the thread's first sign of life.
STATUS = Limit(per_minute=600, burst=30)

METHOD_LIMITS: dict[str, Limit] = {
    "chat.postMessage": POST_PER_CHANNEL,
    "chat.postEphemeral": TIER_4,
    "chat.update": TIER_3,
    "chat.delete": TIER_3,
    "chat.startStream": TIER_2,
    "chat.appendStream": TIER_4,
    "chat.stopStream": TIER_2,
    "chat.unfurl": TIER_3,
    "reactions.add": TIER_3,
    "assistant.threads.setStatus": STATUS,
    "views.open": TIER_4,
    "assistant.threads.setSuggestedPrompts": TIER_4,
    "agents.sessions.setStatus": TIER_3,
    "agents.sessions.rename": TIER_3,
}
DEFAULT_LIMIT = TIER_3  # methods not listed: most Web API methods are Tier 3 or better


def limit_for(method: str, limits: dict[str, Limit] | None = None) -> Limit:
    """The limit for ``method`` (in ``limits`` when given, else the table above)."""
    return (limits if limits is not None else METHOD_LIMITS).get(method, DEFAULT_LIMIT)
