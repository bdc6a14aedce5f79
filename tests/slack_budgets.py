"""Budgets for tests that are not about budgets."""

from __future__ import annotations

from bot.slack.delivery.tiers import METHOD_LIMITS, Limit

UNLIMITED: dict[str, Limit] = {method: Limit(per_minute=1e9, burst=10**6) for method in METHOD_LIMITS}
