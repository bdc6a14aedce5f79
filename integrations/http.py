"""The HTTP plumbing every upstream client shares: a configured client and error mapping.

``build_http_client`` gives an ``httpx.AsyncClient`` with a timeout on every call, the
retrying transport of ``integrations.retry`` and, when given an ``ETagCache``, conditional GETs.
``send`` sends one request and turns every failure into the error tree of
``integrations.errors`` (``request_json`` also decodes the body); messages carry what upstream
said (Jira's ``errorMessages``/``errors``, GitHub's ``message``) and never a header or token.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from integrations.errors import (
    BadRequest,
    NotFound,
    PermissionDenied,
    Timeout,
    Unavailable,
    UpstreamError,
)
from integrations.etag_cache import ConditionalTransport, ETagCache
from integrations.memo import MemoTransport
from integrations.retry import (
    RetryingTransport,
    RetryPolicy,
    Sleep,
    is_rate_limited,
    rate_limited,
    retry_after,
)

MAX_ERROR_CHARS = 300


def build_http_client(
    *,
    service: str,
    base_url: str,
    headers: dict[str, str],
    auth: httpx.Auth | None = None,
    timeout: float = 10.0,
    max_attempts: int = 3,
    sleep: Sleep = asyncio.sleep,
    transport: httpx.AsyncBaseTransport | None = None,
    cache: ETagCache | None = None,
    follow_redirects: bool = True,
) -> httpx.AsyncClient:
    """An AsyncClient for one upstream: base URL, headers, auth, timeouts and retries set."""
    inner = transport or httpx.AsyncHTTPTransport()
    stack: httpx.AsyncBaseTransport = RetryingTransport(
        inner, service=service, policy=RetryPolicy(max_attempts=max_attempts), sleep=sleep
    )
    if cache is not None:
        # Outside the retries: a 304 is a final answer, and a retried 200 is stored once.
        stack = ConditionalTransport(stack, cache)
    stack = MemoTransport(stack)  # outermost: a read repeated within a question sends nothing
    return httpx.AsyncClient(
        base_url=base_url,
        headers=headers,
        auth=auth,
        timeout=httpx.Timeout(timeout),
        transport=stack,
        # httpx drops Authorization when a redirect leaves the origin, so following is safe.
        follow_redirects=follow_redirects,
    )


async def request_json(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    *,
    service: str,
    params: dict[str, str | int] | None = None,
    json: Any = None,
) -> Any:
    """Send a request and return its decoded JSON body, or raise an ``UpstreamError``."""
    return decode_json(await send(client, method, path, service=service, params=params, json=json), service)


async def send(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    *,
    service: str,
    params: dict[str, str | int] | None = None,
    json: Any = None,
    headers: dict[str, str] | None = None,
    follow_redirects: bool | None = None,
) -> httpx.Response:
    """Send a request and return its (read) successful response, or raise an ``UpstreamError``."""
    request = client.build_request(method, path, params=params, json=json, headers=headers)
    redirects = client.follow_redirects if follow_redirects is None else follow_redirects
    try:
        response = await client.send(request, follow_redirects=redirects)
    except httpx.TimeoutException:
        raise Timeout(service, "timed out waiting for an answer") from None
    except httpx.TransportError as exc:
        raise Unavailable(service, f"could not connect ({type(exc).__name__})") from None
    if not (response.is_redirect and not redirects):  # a redirect asked for is an answer
        raise_for_status(response, service)
    return response


def decode_json(response: httpx.Response, service: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise Unavailable(
            service, "answered with a body that is not JSON", status=response.status_code
        ) from None


def raise_for_status(response: httpx.Response, service: str) -> None:
    """Raise the ``UpstreamError`` subclass matching an unsuccessful response."""
    status = response.status_code
    if response.is_success:
        return
    message = f"HTTP {status}: {error_message(response)}"
    if is_rate_limited(response):
        wait = retry_after(response, now=time.time)
        raise rate_limited(service, wait, status=status, detail=message)
    raise _error_class(status)(service, message, status=status)


def _error_class(status: int) -> type[UpstreamError]:
    if status in (401, 403):
        return PermissionDenied
    if status in (404, 410):
        return NotFound
    if status >= 500:
        return Unavailable
    if 400 <= status < 500:
        return BadRequest
    return UpstreamError


def error_message(response: httpx.Response) -> str:
    """What the upstream said went wrong, short, from Jira's or GitHub's error body."""
    try:
        body = response.json()
    except ValueError:
        body = None
    parts = _messages(body) if isinstance(body, dict) else []
    text = "; ".join(part for part in parts if part) or response.reason_phrase or "no details"
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


def _messages(body: dict[str, Any]) -> list[str]:
    parts: list[str] = []
    for message in body.get("errorMessages") or []:  # Jira ErrorCollection
        parts.append(str(message))
    errors = body.get("errors")
    if isinstance(errors, dict):
        parts.extend(f"{field}: {message}" for field, message in errors.items())
    elif isinstance(errors, list):  # GitHub validation-error
        parts.extend(
            str(item.get("message") or item.get("code", "")) for item in errors if isinstance(item, dict)
        )
    if isinstance(body.get("message"), str):  # GitHub basic-error
        parts.insert(0, body["message"])
    return parts
