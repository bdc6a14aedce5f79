"""``GrantedSearch``: the discussion search of this process, with each run's grant in memory.

An edge that can reach Slack binds the backend (``bot.slack.search``) once it is connected; the
edge's listeners leave a run's ``SearchGrant`` (the event's action token) here before the run is
enqueued, and the agent's ``slack_search`` tool searches with it by run id. The grant lives in
this process's memory only, for a few minutes: it is a credential, so it is never put in a run's
payload, the database or a log, and a run recovered in another process has none (its search says
so). Grants older than ``ttl`` are dropped as new ones arrive (Slack's tokens are short-lived).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.ports import DiscussionBackend, SearchGrant, SearchUnavailable, SlackHit

NO_GRANT = (
    "Slack search is unavailable for this question (it is only possible while answering the "
    "message that asked it), so this answer does not use Slack discussion."
)
NOT_CONNECTED = "Slack search is unavailable: the bot is not connected to Slack."


class GrantedSearch:
    """Implements ``DiscussionSearch`` and ``SearchGrants`` over a late-bound backend."""

    def __init__(self, *, ttl: float = 600.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._grants: dict[str, tuple[SearchGrant, float]] = {}
        self._backend: DiscussionBackend | None = None

    def bind(self, backend: DiscussionBackend) -> None:
        """Search through ``backend`` from now on (the Slack edge, once connected)."""
        self._backend = backend

    def keep(self, run_id: str, grant: SearchGrant) -> None:
        now = self._clock()
        self._grants = {r: kept for r, kept in self._grants.items() if now - kept[1] < self._ttl}
        self._grants[run_id] = (grant, now)

    def held(self, run_id: str) -> bool:
        kept = self._grants.get(run_id)
        return kept is not None and self._clock() - kept[1] < self._ttl

    async def search(self, query: str, *, run_id: str, limit: int) -> list[SlackHit]:
        kept = self._grants.get(run_id)
        if kept is None or not self.held(run_id):
            raise SearchUnavailable(NO_GRANT)
        if self._backend is None:
            raise SearchUnavailable(NOT_CONNECTED)
        grant = kept[0]
        return await self._backend.search(
            query, action_token=grant.action_token, context_channel_id=grant.context_channel_id, limit=limit
        )
