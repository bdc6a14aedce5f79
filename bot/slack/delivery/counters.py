"""In-process counters of how Slack delivery went: steps down the ladder, 429s, repairs.

A plain counter for now; the metrics work will export it. Keys are short and secret-free.
"""

from __future__ import annotations

from collections import Counter
from typing import Literal

Rung = Literal["stream", "post", "response_url", "none"]


class DeliveryCounters:
    """Counts by name; ``snapshot()`` gives a copy for logs, tests and benchmarks."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()

    def add(self, name: str, amount: int = 1) -> None:
        self._counts[name] += amount

    def step_down(self, from_rung: Rung, to_rung: Rung, reason: str) -> None:
        self.add(f"step_down:{from_rung}->{to_rung}:{reason}")

    def rate_limited(self, method: str) -> None:
        self.add(f"429:{method}")

    def get(self, name: str) -> int:
        return self._counts[name]

    def total(self, prefix: str) -> int:
        """The sum of every counter whose name starts with ``prefix``."""
        return sum(count for name, count in self._counts.items() if name.startswith(prefix))

    def snapshot(self) -> dict[str, int]:
        return dict(self._counts)
