"""Retries at the transport layer, so every call site gets the same policy for free.

Retried: connection failures and timeouts, 502/503/504, 429, and GitHub's rate-limit 403
(``x-ratelimit-remaining: 0``). The wait honours ``Retry-After`` (seconds or HTTP date), then
GitHub's ``x-ratelimit-reset``, else exponential backoff with jitter. A wait longer than the cap
is not slept through: it surfaces at once as ``RateLimited(retry_after)`` so the caller can tell
the user when to try again instead of hanging.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from integrations.errors import RateLimited

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]

RETRY_STATUSES = frozenset({429, 502, 503, 504})
# Replaying these cannot duplicate a side effect; anything else is retried only when the
# request never reached the server or the server refused it outright (429).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_MAYBE_SENT = (httpx.ReadTimeout, httpx.WriteTimeout, httpx.ReadError, httpx.RemoteProtocolError)


@dataclass(frozen=True)
class RetryPolicy:
    """How often to try and how long we are willing to wait between tries."""

    max_attempts: int = 3
    base_delay: float = 0.5
    max_backoff: float = 8.0
    max_wait: float = 10.0  # longer waits become RateLimited instead of a sleep


def is_rate_limited(response: httpx.Response) -> bool:
    """429, or GitHub's primary/secondary rate-limit 403."""
    if response.status_code == 429:
        return True
    if response.status_code != 403:
        return False
    headers = response.headers
    return headers.get("x-ratelimit-remaining") == "0" or "retry-after" in headers


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
            response = await self._attempt(request, attempt)
            if response is not None:
                delay = self._delay_for(request, response, attempt)
                if delay is None:
                    return response
                await response.aclose()
                if delay > self._policy.max_wait:
                    raise RateLimited(
                        self._service,
                        f"HTTP {response.status_code}: asked to retry in {delay:.0f}s",
                        status=response.status_code,
                        retry_after=delay,
                    )
            else:
                delay = self._backoff(attempt)
            await self._wait(delay)
            attempt += 1

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def _attempt(self, request: httpx.Request, attempt: int) -> httpx.Response | None:
        """The response, or None when a transport error should be retried."""
        try:
            response = await self._inner.handle_async_request(request)
        except (*_NOT_SENT, *_MAYBE_SENT) as exc:
            retry = attempt < self._policy.max_attempts and (
                isinstance(exc, _NOT_SENT) or request.method in IDEMPOTENT_METHODS
            )
            self._log(request, attempt, type(exc).__name__)
            if not retry:
                raise
            return None
        self._log(request, attempt, str(response.status_code))
        return response

    def _delay_for(self, request: httpx.Request, response: httpx.Response, attempt: int) -> float | None:
        """How long to wait before the next attempt, or None to hand the response back.

        A wait beyond ``max_wait`` is returned as is; the caller turns it into RateLimited.
        """
        limited = is_rate_limited(response)
        transient = response.status_code in RETRY_STATUSES and request.method in IDEMPOTENT_METHODS
        if not (limited or transient):
            return None
        asked = retry_after(response, now=self._now)
        if asked is not None and asked > self._policy.max_wait:
            return asked  # too long to sleep through, even on the last attempt
        if attempt >= self._policy.max_attempts:
            return None
        return asked if asked is not None else self._backoff(attempt)

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self._policy.max_backoff, self._policy.base_delay * 2.0 ** (attempt - 1))
        # Equal jitter: never less than half the step, so retries still spread out.
        return ceiling / 2 + self._rng.uniform(0, ceiling / 2)

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
