"""The Slack Web API client the bot uses: retries that honour Slack's rate limits through one budget."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import aiohttp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.delivery.budget import SlackBudget
from bot.slack.delivery.ledger import BudgetTable, SharedLedger

RATE_LIMIT_RETRIES = 3
# A refused stream start steps down to post + update, a status is best effort, and a search the
# agent cannot make now is one sentence it goes on without: none of them waits.
NO_RETRY_METHODS = frozenset({"chat.startStream", "assistant.threads.setStatus", "assistant.search.context"})
_DEFAULT_RETRY_AFTER = 1.0


class BudgetedRateLimitRetryHandler(AsyncRateLimitErrorRetryHandler):
    """The SDK's 429 retry, with ``Retry-After`` recorded in the budget first.

    Recording pauses the method for the workspace (for a per-channel limit, in that channel), so
    every other caller there waits too instead of running into the same 429; the retry itself
    then waits for a slot like any call.
    """

    def __init__(self, budget: SlackBudget, max_retry_count: int = RATE_LIMIT_RETRIES) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.budget = budget

    async def can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        team, method = self._target(request)
        current = self.budget.current()
        channel = current.channel if current is not None and current.method == method else None
        await self.budget.apause(team, method, _retry_after(response), channel)
        self.budget.counters.rate_limited(method)
        if method in NO_RETRY_METHODS:
            return False
        return bool(
            await super().can_retry_async(state=state, request=request, response=response, error=error)
        )

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        state.next_attempt_requested = True
        team, method = self._target(request)
        current = self.budget.current()
        await self.budget.acquire(team, method, current.channel if current else None)
        state.increment_current_attempt()

    def _target(self, request: HttpRequest) -> tuple[str, str]:
        method = urlparse(request.url).path.rsplit("/", 1)[-1]
        current = self.budget.current()
        if current is not None and current.method == method:
            return current.team, method
        return self.budget.default_team, method


def _retry_after(response: HttpResponse) -> float:
    for name, values in response.headers.items():
        if name.lower() == "retry-after" and values:
            try:
                return max(0.0, float(values[0]))
            except ValueError:
                break
    return _DEFAULT_RETRY_AFTER


def build_web_client(
    token: str | None,
    base_url: str = "https://slack.com/api/",
    *,
    session: aiohttp.ClientSession | None = None,
    budget: SlackBudget | None = None,
) -> AsyncWebClient:
    """An ``AsyncWebClient`` that waits out HTTP 429s through ``budget`` and retries dropped connections.

    The SDK retries connection errors only by default; rate-limit retries are opt-in. Without a
    shared ``session`` the SDK opens a new connection for every call.
    """
    return AsyncWebClient(
        token=token,
        base_url=base_url if base_url.endswith("/") else base_url + "/",
        session=session,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(),
            BudgetedRateLimitRetryHandler(budget or SlackBudget()),
        ],
    )


def budget_of(client: AsyncWebClient) -> SlackBudget | None:
    """The budget a client built by ``build_web_client`` records its 429s in."""
    handlers: list[Any] = list(client.retry_handlers or [])
    for handler in handlers:
        if isinstance(handler, BudgetedRateLimitRetryHandler):
            return handler.budget
    return None


@dataclass
class SlackConnection:
    """A checked bot identity: one pooled HTTP session, one `auth.test`, one call budget, reused for all.

    Bolt's single-team authorization calls `auth.test` for every request that arrives before
    its first answer, so a burst after a deploy cost one call per request; here it is one call.
    """

    client: AsyncWebClient
    identity: AuthorizeResult
    _session: aiohttp.ClientSession
    budget: SlackBudget = field(default_factory=SlackBudget)

    @classmethod
    async def open(
        cls,
        token: str,
        base_url: str,
        *,
        trace_configs: list[aiohttp.TraceConfig] | None = None,
        store: BudgetTable | None = None,
    ) -> SlackConnection:
        """Connect and run `auth.test`; raises SlackApiError for a bad token.

        ``trace_configs`` see every HTTP attempt on the shared session (metrics count calls and 429s).
        With a ``store`` that a fleet shares (PostgreSQL) the call budget is kept there, shared by
        every process on it; otherwise (no store, or SQLite: one process) it lives in this process,
        which spares every Slack call a write under SQLite's one-writer lock.
        """
        session = aiohttp.ClientSession(trace_configs=trace_configs)
        budget = SlackBudget(ledger=SharedLedger(store) if store is not None and store.shared else None)
        client = build_web_client(token, base_url, session=session, budget=budget)
        try:
            auth = await client.auth_test()
        except BaseException:
            await session.close()
            raise
        identity = AuthorizeResult.from_auth_test_response(auth_test_response=auth, bot_token=token)
        budget.default_team = str(identity.team_id or "")
        return cls(client, identity, session, budget)

    def app_client(self) -> AsyncWebClient:
        """A token-less client for Bolt: each request's client gets the token from `identity`."""
        return build_web_client(None, self.client.base_url, session=self._session, budget=self.budget)

    async def aclose(self) -> None:
        await self._session.close()
