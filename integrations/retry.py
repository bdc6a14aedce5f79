"""Retries at the transport layer, so every call site gets the same policy for free.

Retried: connection failures and timeouts, 502/503/504 (Jira's 503 too), 429, GitHub's primary
rate-limit 403 (``x-ratelimit-remaining: 0``) and its secondary limits (403/429 whose message
says "secondary rate limit"). The wait honours ``Retry-After`` (seconds or HTTP date) first, then
GitHub's ``x-ratelimit-reset``; a secondary limit without either waits at least a minute, doubling;
anything else backs off exponentially with jitter.

Every wait is bounded by what the run can afford: inside ``integrations.budget.time_budget`` that
is the time left (less a reserve for the retried request), outside it ``RetryPolicy.max_wait``.
A server-requested wait beyond that is not slept through: it surfaces at once as
``RateLimited`` ("rate limited, try again in N s") so the person is told when to try again
instead of watching the bot hang. Our own backoff that no longer fits simply stops retrying.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from integrations import budget
from integrations.errors import RateLimited

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]

RETRY_STATUSES = frozenset({429, 502, 503, 504})
# Replaying these cannot duplicate a side effect; anything else is retried only when the
# request never reached the server or the server refused it outright (429).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
SECONDARY_LIMIT_MARKER = "secondary rate limit"
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_MAYBE_SENT = (httpx.ReadTimeout, httpx.WriteTimeout, httpx.ReadError, httpx.RemoteProtocolError)
_TIMEOUT_KEYS = ("connect", "read", "write", "pool")


@dataclass(frozen=True)
class RetryPolicy:
    """How often to try and how long we are willing to wait between tries."""

    max_attempts: int = 3
    base_delay: float = 0.5
    max_backoff: float = 8.0
    max_wait: float = 10.0  # outside a time budget, longer waits become RateLimited instead of a sleep
    secondary_wait: float = 60.0  # GitHub: "wait at least one minute" after a secondary limit
    reserve: float = 2.0  # inside a budget, kept back for the retried request itself


def rate_limited(service: str, wait: float | None, *, status: int | None, detail: str = "") -> RateLimited:
    """The one way a rate limit is worded: "rate limited, try again in N s"."""
    head = "rate limited" if wait is None else f"rate limited, try again in {max(1, math.ceil(wait))} s"
    return RateLimited(service, f"{head} ({detail})" if detail else head, status=status, retry_after=wait)


def is_secondary_limit(response: httpx.Response) -> bool:
    """GitHub's secondary limits are told apart by their message (there is no header for them)."""
    if response.status_code not in (403, 429):
        return False
    try:
        text = response.text
    except httpx.ResponseNotRead:
        return False
    return SECONDARY_LIMIT_MARKER in text.lower()


def is_rate_limited(response: httpx.Response) -> bool:
    """429, or GitHub's primary/secondary rate-limit 403."""
    if response.status_code == 429:
        return True
    if response.status_code != 403:
        return False
    headers = response.headers
    return (
        headers.get("x-ratelimit-remaining") == "0"
        or "retry-after" in headers
        or is_secondary_limit(response)
    )


def retry_after(response: httpx.Response, *, now: Clock = time.time) -> float | None:
    """Seconds the server asked us to wait, from ``Retry-After`` or ``x-ratelimit-reset``."""
    value = response.headers.get("retry-after")
    if value is not None:
        return _parse_retry_after(value.strip(), now)
    if response.headers.get("x-ratelimit-remaining") == "0":
        reset = response.headers.get("x-ratelimit-reset", "")
        if reset.isdigit():
            return max(0.0, int(reset) - now())
    return None


def _parse_retry_after(value: str, now: Clock) -> float | None:
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - now())


class RetryingTransport(httpx.AsyncBaseTransport):
    """Wraps another transport and retries transient failures per ``RetryPolicy``."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        *,
        service: str,
        policy: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        now: Clock = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self._inner = inner
        self._service = service
        self._policy = policy or RetryPolicy()
        self._sleep = sleep
        self._now = now
        self._rng = rng or random.Random()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        attempt = 1
        while True:
            _fit_timeout_to_budget(request)
            try:
                response = await self._inner.handle_async_request(request)
            except (*_NOT_SENT, *_MAYBE_SENT) as exc:
                self._log(request, attempt, type(exc).__name__)
                delay = self._backoff(attempt)
                if not self._may_retry_error(request, exc, attempt) or delay > self._ceiling():
                    raise
            else:
                self._log(request, attempt, str(response.status_code))
                if response.status_code in (403, 429):
                    await response.aread()  # small error bodies; the message marks a secondary limit
                wait = self._delay_for(request, response, attempt)
                if wait is None:
                    return response
                await response.aclose()
                if wait > self._ceiling():
                    raise rate_limited(self._service, wait, status=response.status_code)
                delay = wait
            await self._wait(delay)
            attempt += 1

    async def aclose(self) -> None:
        await self._inner.aclose()

    def _may_retry_error(self, request: httpx.Request, exc: Exception, attempt: int) -> bool:
        sent_safely = isinstance(exc, _NOT_SENT) or request.method in IDEMPOTENT_METHODS
        return attempt < self._policy.max_attempts and sent_safely

    def _delay_for(self, request: httpx.Request, response: httpx.Response, attempt: int) -> float | None:
        """How long to wait before the next attempt, or None to hand the response back.

        A server-requested wait beyond the ceiling is returned as is, even on the last attempt:
        the caller turns it into RateLimited. Our own backoff beyond it means: stop retrying.
        """
        limited = is_rate_limited(response)
        transient = response.status_code in RETRY_STATUSES and request.method in IDEMPOTENT_METHODS
        if not (limited or transient):
            return None
        asked = retry_after(response, now=self._now)
        if asked is None and is_secondary_limit(response):
            asked = self._secondary_wait(attempt)
        if asked is not None and asked > self._ceiling():
            return asked
        if attempt >= self._policy.max_attempts:
            return None
        delay = asked if asked is not None else self._backoff(attempt)
        return delay if delay <= self._ceiling() else None

    def _ceiling(self) -> float:
        """The longest wait the caller can afford now."""
        left = budget.remaining()
        if left is None:
            return self._policy.max_wait
        return max(0.0, left - self._policy.reserve)

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self._policy.max_backoff, self._policy.base_delay * 2.0 ** (attempt - 1))
        # Equal jitter: never less than half the step, so retries still spread out.
        return ceiling / 2 + self._rng.uniform(0, ceiling / 2)

    def _secondary_wait(self, attempt: int) -> float:
        step = self._policy.secondary_wait * 2.0 ** (attempt - 1)
        return step + self._rng.uniform(0, step / 10)  # jitter only upwards: "at least a minute"

    async def _wait(self, delay: float) -> None:
        if delay > 0:
            await self._sleep(delay)

    def _log(self, request: httpx.Request, attempt: int, outcome: str) -> None:
        # Only method and path: query strings and headers may carry user data or credentials.
        log.debug(
            "%s %s %s attempt %d -> %s",
            self._service,
            request.method,
            request.url.path,
            attempt,
            outcome,
        )


def _fit_timeout_to_budget(request: httpx.Request) -> None:
    """Never wait on a socket longer than the run has left."""
    left = budget.remaining()
    timeouts = request.extensions.get("timeout")
    if left is None or not isinstance(timeouts, dict):
        return
    bound = max(left, 0.001)
    request.extensions["timeout"] = {
        key: bound if value is None or (key in _TIMEOUT_KEYS and value > bound) else value
        for key, value in timeouts.items()
    }
