"""The one server base of every SIMULATED upstream: an aiohttp app on a free loopback port.

``LocalServer`` runs any aiohttp application for the life of an ``async with``; ``SimulatedServer``
is what every simulator (Slack, Jira, GitHub, LLM) builds on: it owns the app, starts and stops
it, knows its URL once running, and tells stalled handlers (``closing``) that shutdown has begun.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from types import TracebackType
from typing import Any, Self

from aiohttp import web


class LocalServer:
    """An aiohttp app served on 127.0.0.1; `url` is known once entered."""

    def __init__(self, app: web.Application, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self._app = app
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> str:
        self._runner = web.AppRunner(self._app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://{self._host}:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> LocalServer:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()


class SimulatedServer(ABC):
    """Base of every SIMULATED upstream: its routes on one aiohttp app, served for an ``async with``.

    A subclass sets its own state first, then calls ``super().__init__()``, which builds ``app``
    from ``middlewares()`` and ``add_routes()``.
    """

    def __init__(self) -> None:
        self.closing = asyncio.Event()  # set on stop: stalled handlers give up their wait
        self._server: LocalServer | None = None
        self.app = web.Application(middlewares=self.middlewares())
        self.add_routes(self.app.router)

    @abstractmethod
    def add_routes(self, router: web.UrlDispatcher) -> None: ...

    def middlewares(self) -> list[Any]:
        """The app's middlewares, outermost first; none by default."""
        return []

    @property
    def url(self) -> str:
        """The server's origin, ``http://127.0.0.1:PORT``."""
        if self._server is None:
            raise RuntimeError(f"the {type(self).__name__} is not running; use `async with`")
        return self._server.url

    async def start(self) -> str:
        self.closing.clear()
        self._server = LocalServer(self.app)
        return await self._server.start()

    async def stop(self) -> None:
        self.closing.set()
        if self._server is not None:
            await self._server.stop()
            self._server = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()
