"""Conditional GETs: remember each JSON answer's ETag and send it back as ``If-None-Match``.

GitHub does not count a ``304 Not Modified`` against the rate limit, so re-reading a pull request
while a thread is refreshed costs nothing when it has not changed. Entries are keyed by URL,
``Accept`` and a hash of the credential (a different token may see different data, and the
token itself is never kept), bounded in number and size, least recently used evicted first.
A 304 is answered from the cache as the 200 it stands for, so callers never see it.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass

import httpx

MAX_ENTRIES = 256
MAX_BODY_BYTES = 512 * 1024
# Headers of the cached 200 worth replaying (pagination and content type); rate-limit headers
# come fresh from the 304.
_REPLAYED = ("content-type", "link", "etag", "last-modified")


@dataclass(frozen=True)
class CachedAnswer:
    etag: str
    headers: tuple[tuple[str, str], ...]
    body: bytes


class ETagCache:
    """A bounded LRU of (request key) -> the last 200 answer and its ETag."""

    def __init__(self, *, max_entries: int = MAX_ENTRIES, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self._entries: OrderedDict[str, CachedAnswer] = OrderedDict()
        self._max_entries = max_entries
        self._max_body_bytes = max_body_bytes
        self.hits = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> CachedAnswer | None:
        answer = self._entries.get(key)
        if answer is not None:
            self._entries.move_to_end(key)
        return answer

    def put(self, key: str, answer: CachedAnswer) -> None:
        if len(answer.body) > self._max_body_bytes:
            return
        self._entries[key] = answer
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)


def cache_key(request: httpx.Request) -> str:
    credential = hashlib.sha256(request.headers.get("authorization", "").encode()).hexdigest()[:16]
    return f"{request.url}\n{request.headers.get('accept', '')}\n{credential}"


class ConditionalTransport(httpx.AsyncBaseTransport):
    """Adds ``If-None-Match`` to GETs it has an ETag for, and turns a 304 back into the 200."""

    def __init__(self, inner: httpx.AsyncBaseTransport, cache: ETagCache) -> None:
        self._inner = inner
        self._cache = cache

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method != "GET":
            return await self._inner.handle_async_request(request)
        key = cache_key(request)
        cached = self._cache.get(key)
        # The same request may come back with another credential (an auth flow's retry): the
        # validator must match this credential's entry, or there must be none.
        request.headers.pop("If-None-Match", None)
        if cached is not None:
            request.headers["If-None-Match"] = cached.etag
        response = await self._inner.handle_async_request(request)
        if response.status_code == 304 and cached is not None:
            await response.aclose()
            self._cache.hits += 1
            return _replay(cached, response, request)
        if response.status_code == 200 and _cacheable(response):
            body = await response.aread()
            etag = response.headers["etag"]
            kept = replayed_headers(response)
            self._cache.put(key, CachedAnswer(etag=etag, headers=kept, body=body))
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


def replayed_headers(response: httpx.Response) -> tuple[tuple[str, str], ...]:
    """The headers of an answer worth replaying with its remembered body."""
    return tuple((name, response.headers[name]) for name in _REPLAYED if name in response.headers)


def _cacheable(response: httpx.Response) -> bool:
    return "etag" in response.headers and "json" in response.headers.get("content-type", "")


def _replay(cached: CachedAnswer, fresh: httpx.Response, request: httpx.Request) -> httpx.Response:
    headers = httpx.Headers(cached.headers)
    for name, value in fresh.headers.items():
        if name.startswith("x-ratelimit-") or name == "etag":
            headers[name] = value
    return httpx.Response(200, headers=headers, content=cached.body, request=request)
