"""SIMULATED Slack rate tiers: token buckets per method per workspace, 429 + Retry-After beyond them.

An independent statement of Slack's documented limits (docs.slack.dev/apis/web-api/rate-limits),
not the bot's own table, so the bot's budget is checked against it rather than against itself.
Slack tolerates bursts but does not say how large; ``burst_minutes`` sets the bucket size as a
fraction of a minute's allowance (1.0: a whole minute may be spent at once).
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TierRule:
    per_minute: float
    per_channel: bool = False


TIER_2 = TierRule(20)
TIER_3 = TierRule(50)
TIER_4 = TierRule(100)
DOCUMENTED: dict[str, TierRule] = {
    "chat.postMessage": TierRule(60, per_channel=True),  # "about one per second per channel"
    "chat.update": TIER_3,
    "chat.delete": TIER_3,
    "chat.postEphemeral": TIER_4,
    "chat.startStream": TIER_2,
    "chat.appendStream": TIER_4,
    "chat.stopStream": TIER_2,
    "chat.unfurl": TIER_3,
    "reactions.add": TIER_3,
    "files.info": TIER_4,
    "assistant.threads.setStatus": TierRule(600),  # "Special"; not documented
    "assistant.threads.setSuggestedPrompts": TIER_4,
    "agents.sessions.setStatus": TIER_3,
    "agents.sessions.rename": TIER_3,
    "assistant.search.context": TierRule(60),  # "Special"; the numbers are not published
}


class _Bucket:
    def __init__(self, rule: TierRule, burst_minutes: float, now: float) -> None:
        self.rate = rule.per_minute / 60.0
        self.capacity = max(1.0, rule.per_minute * burst_minutes)
        self.tokens = self.capacity
        self.at = now

    def take(self, now: float) -> float:
        """Take a token; returns 0, or how long until one would be there (nothing taken)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


class TierEnforcer:
    """Decides per call whether Slack would answer it or refuse it with HTTP 429."""

    def __init__(
        self,
        rules: dict[str, TierRule] | None = None,
        *,
        burst_minutes: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rules = DOCUMENTED if rules is None else rules
        self._burst_minutes = burst_minutes
        self._clock = clock
        self._buckets: dict[tuple[str, str, str | None], _Bucket] = {}
        self.refused: Counter[str] = Counter()

    def admit(self, team: str, method: str, channel: str | None) -> int:
        """0 when the call may proceed, else the Retry-After (whole seconds, at least 1) to answer."""
        rule = self._rules.get(method)
        if rule is None:
            return 0
        now = self._clock()
        key = (team, method, channel if rule.per_channel else None)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(rule, self._burst_minutes, now)
        wait = bucket.take(now)
        if wait <= 0:
            return 0
        self.refused[method] += 1
        return max(1, math.ceil(wait))
