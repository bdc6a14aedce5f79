"""Reads made once per question: inside ``reads_once()`` a GET answered before is answered again
from memory, without a request.

A question's mentioned issues and pull requests are read before the agent runs, and the agent's
tools often ask for the same resources moments later (``bot.lookup.mentions``). Within one scope
(a run: ``bot.runs`` opens it around its program) each GET's 200 answer is kept by URL, ``Accept``
and a hash of the credential, and replayed to the next identical GET; outside a scope nothing is
kept, so no answer outlives the question that read it. Any other method in the scope (a write)
forgets what was read, so a read after a write sees it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

import httpx

from integrations.etag_cache import MAX_BODY_BYTES, cache_key, replayed_headers

_Answer = tuple[tuple[tuple[str, str], ...], bytes]
_SCOPE: ContextVar[dict[str, _Answer] | None] = ContextVar("reads_once", default=None)


@contextlib.contextmanager
def reads_once() -> Iterator[None]:
    """Within this block (and the tasks it starts), each GET is sent at most once."""
    token = _SCOPE.set({})
    try:
        yield
    finally:
        _SCOPE.reset(token)


class MemoTransport(httpx.AsyncBaseTransport):
    """Answers a GET made earlier in the same ``reads_once()`` scope from memory."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner
        self.hits = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        memo = _SCOPE.get()
        if memo is None:
            return await self._inner.handle_async_request(request)
        if request.method != "GET":
            memo.clear()
            return await self._inner.handle_async_request(request)
        key = cache_key(request)
        if (answer := memo.get(key)) is not None:
            self.hits += 1
            headers, body = answer
            return httpx.Response(200, headers=headers, content=body, request=request)
        response = await self._inner.handle_async_request(request)
        if response.status_code == 200:
            body = await response.aread()
            if len(body) <= MAX_BODY_BYTES:
                memo[key] = (replayed_headers(response), body)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()
