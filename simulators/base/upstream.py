"""What every SIMULATED REST upstream (Jira, GitHub) shares: request recording, fault injection, auth.

A subclass adds its routes and says what its errors look like; this base records every request
(with the credential replaced by its scheme) and replays scripted faults (``fail_next``,
``stall_next``) before the real handler runs; ``SimulatedServer`` serves the app on loopback for
an ``async with``. Every write a handler accepted is also kept in ``writes()``, so a test can
count exactly what changed upstream (a faulted or refused request changes nothing).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from abc import abstractmethod
from collections import deque
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from simulators.base.server import SimulatedServer


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the simulator saw it; the Authorization value is never kept."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any = None

    @property
    def auth_scheme(self) -> str | None:
        value = self.headers.get("Authorization")
        return value.split(" ", 1)[0] if value else None


@dataclass(frozen=True)
class RecordedWrite:
    """One write the simulator accepted and applied."""

    operation: str  # the API's operation id, e.g. "createIssue", "issues/create-comment"
    target: str  # what it changed, e.g. "OPS-37", "acme/payments#42"
    body: Any = None  # the request body as sent


# One clock for every simulator in the process: spans of Jira and GitHub requests can be ordered.
_SEQUENCE = itertools.count(1)


@dataclass
class Span:
    """When a request started and finished, as positions in one sequence shared by all simulators.

    Two requests overlapped (were in flight together) when each started before the other finished.
    """

    method: str
    path: str
    started: int
    finished: int | None = None

    def overlaps(self, other: Span) -> bool:
        ends = (self.finished or 10**18, other.finished or 10**18)
        return self.started < ends[1] and other.started < ends[0]


@dataclass
class Fault:
    status: int | None = None  # None: no error, only the delay
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    delay: float = 0.0


class SimulatedUpstream(SimulatedServer):
    """Base of the SIMULATED Jira and GitHub servers."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.spans: list[Span] = []
        self._held: asyncio.Event | None = None
        self._writes: list[RecordedWrite] = []
        self._faults: deque[Fault] = deque()
        super().__init__()

    def middlewares(self) -> list[Any]:
        return [self._record, self._inject_faults, self._authenticate, *self.extra_middlewares()]

    def extra_middlewares(self) -> list[Any]:
        """Middlewares a subclass runs after authentication (innermost last); none by default."""
        return []

    @abstractmethod
    def error_body(self, status: int, message: str) -> dict[str, Any]:
        """The upstream's own error payload for ``status``."""

    @abstractmethod
    def check_auth(self, request: web.Request) -> web.Response | None:
        """None when the request is authenticated, else the upstream's 401 response."""

    def fail_next(
        self, status: int, times: int = 1, headers: dict[str, str] | None = None, body: Any = None
    ) -> None:
        """Answer the next ``times`` requests with ``status`` (after recording them)."""
        for _ in range(times):
            self._faults.append(Fault(status=status, headers=dict(headers or {}), body=body))

    def stall_next(self, seconds: float, times: int = 1) -> None:
        """Hold the next ``times`` requests for ``seconds`` before answering normally."""
        for _ in range(times):
            self._faults.append(Fault(delay=seconds))

    def writes(self) -> list[RecordedWrite]:
        """Every write accepted so far, oldest first."""
        return list(self._writes)

    def record_write(self, operation: str, target: str, body: Any = None) -> None:
        self._writes.append(RecordedWrite(operation=operation, target=target, body=body))

    def hold(self) -> None:
        """Keep every request from now on waiting (after recording it) until ``release()``.

        Lets a test see how many requests a client has in flight at once without timing anything.
        """
        self._held = asyncio.Event()

    def release(self) -> None:
        if self._held is not None:
            self._held.set()
            self._held = None

    @property
    def in_flight(self) -> int:
        return sum(1 for span in self.spans if span.finished is None)

    def requests_to(self, path: str) -> list[RecordedRequest]:
        return [request for request in self.requests if request.path == path]

    def json_error(self, status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
        return web.json_response(self.error_body(status, message), status=status, headers=headers)

    @web.middleware
    async def _record(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.requests.append(
            RecordedRequest(
                method=request.method,
                path=request.path,
                query=dict(request.query),
                headers=_redacted(request),
                body=await _body(request),
            )
        )
        span = Span(request.method, request.path, next(_SEQUENCE))
        self.spans.append(span)
        try:
            if self._held is not None:
                await _first(self._held.wait(), self.closing.wait())
            return await handler(request)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            # Unknown routes and methods answer in the upstream's error format, not aiohttp's text.
            return self.json_error(exc.status, exc.reason)
        finally:
            span.finished = next(_SEQUENCE)

    @web.middleware
    async def _inject_faults(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not self._faults:
            return await handler(request)
        fault = self._faults.popleft()
        if fault.delay:
            try:
                await asyncio.wait_for(self.closing.wait(), timeout=fault.delay)
            except TimeoutError:
                pass
        if fault.status is None:
            return await handler(request)
        body = fault.body if fault.body is not None else self.error_body(fault.status, "simulated fault")
        return web.json_response(body, status=fault.status, headers=fault.headers)

    @web.middleware
    async def _authenticate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        refused = self.check_auth(request)
        return refused if refused is not None else await handler(request)


def _redacted(request: web.Request) -> dict[str, str]:
    headers = dict(request.headers)
    for name in list(headers):
        if name.lower() == "authorization":
            scheme = headers.pop(name).split(" ", 1)[0]
            headers["Authorization"] = f"{scheme} <redacted>"
    return headers


async def _body(request: web.Request) -> Any:
    if not request.can_read_body:
        return None
    raw = await request.read()
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


async def _first(*waits: Coroutine[Any, Any, Any]) -> None:
    """Wait until the first of ``waits`` is done; cancel the others."""
    tasks = [asyncio.ensure_future(wait) for wait in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
