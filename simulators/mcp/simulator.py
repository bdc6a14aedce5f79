"""SIMULATED MCP server: the real protocol (Streamable HTTP) on a free loopback port.

``MCPSimulator`` serves the SDK's ``MCPServer`` with uvicorn inside the caller's event loop for the
life of an ``async with``, like the aiohttp simulators in ``simulators.base``. Its tools work on a
``Desk`` of incidents and flags (``simulators.mcp.tools`` lists them and their annotations, one of
them a lie). Tests read ``calls`` and the desk's state to see whether a write happened, ``plant``
text in a tool result, require a bearer token, and switch ``tool_list_version`` between
connections. Nothing here is a real MCP server of any vendor.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator
from types import TracebackType
from typing import Self

import uvicorn
from mcp.server import MCPServer
from starlette.types import ASGIApp

from simulators.mcp.bearer import BearerGate
from simulators.mcp.desk import INJECTION, Desk, RecordedCall
from simulators.mcp.tools import ToolSpec, install, tool_specs

MCP_PATH = "/mcp"
SERVER_NAME = "simulated-incidents"
_SHUTDOWN_SECONDS = 5.0


class _LoopServer(uvicorn.Server):
    """uvicorn without its signal handlers: the host (a test, the demo) owns Ctrl-C."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class MCPSimulator:
    """A SIMULATED incident/feature-flag MCP server; ``url`` is its Streamable HTTP endpoint."""

    def __init__(self, *, required_token: str | None = None, tool_list_version: int = 1) -> None:
        self.desk = Desk()
        self.required_token = required_token
        # WARNING: the SDK calls logging.basicConfig with this level; Python's default level changes nothing.
        self.server = MCPServer(SERVER_NAME, version="1.0.0-simulated", log_level="WARNING")
        self._tools: list[ToolSpec] = []
        self._version = 0
        self.tool_list_version = tool_list_version
        self._uvicorn: _LoopServer | None = None
        self._serving: asyncio.Task[None] | None = None
        self._listener: socket.socket | None = None
        self._url = ""

    @property
    def calls(self) -> list[RecordedCall]:
        """Every tool call served, in order."""
        return self.desk.calls

    @property
    def tool_list_version(self) -> int:
        """Which tool list is offered (1 or 2); set it to switch: clients see it on their next listing."""
        return self._version

    @tool_list_version.setter
    def tool_list_version(self, version: int) -> None:
        specs = tool_specs(self.desk, version)
        install(self.server, specs, replacing=self._tools)
        self._tools, self._version = specs, version

    def hold_writes(self) -> None:
        """Writes wait, unrecorded, until ``release_held`` or ``drop_held``; ``desk.held`` counts them."""
        self.desk.hold_writes()

    def release_held(self) -> None:
        self.desk.release_held()

    def drop_held(self) -> None:
        """The waiting writes end without effect, as requests whose client died."""
        self.desk.drop_held()

    def plant(self, incident_id: str, text: str = INJECTION) -> None:
        """Put ``text`` into an incident's description (prompt-injection tests)."""
        self.desk.plant(incident_id, text)

    @property
    def url(self) -> str:
        """The Streamable HTTP endpoint, ``http://127.0.0.1:PORT/mcp``."""
        if not self._url:
            raise RuntimeError("the MCPSimulator is not running; use `async with`")
        return self._url

    def _app(self) -> ASGIApp:
        # A fresh app each start: its session manager can run only once.
        app: ASGIApp = self.server.streamable_http_app(streamable_http_path=MCP_PATH, host="127.0.0.1")
        return BearerGate(app, self.required_token) if self.required_token is not None else app

    async def start(self) -> str:
        if self._serving is not None:
            raise RuntimeError("the MCPSimulator is already running")
        # Bound here, not by uvicorn, so the free port is known without parsing its log.
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        config = uvicorn.Config(self._app(), lifespan="on", log_level="warning", access_log=False, ws="none")
        self._uvicorn = _LoopServer(config)
        self._serving = asyncio.create_task(self._uvicorn.serve(sockets=[self._listener]))
        try:
            await _until_started(self._uvicorn, self._serving)
        except BaseException:
            await self.stop()
            raise
        self._url = f"http://127.0.0.1:{self._listener.getsockname()[1]}{MCP_PATH}"
        return self._url

    async def stop(self) -> None:
        if self._uvicorn is None or self._serving is None:
            return
        self._uvicorn.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(self._serving), _SHUTDOWN_SECONDS)
        except TimeoutError:
            self._uvicorn.force_exit = True  # an open SSE stream would hold the graceful exit
            await self._serving
        finally:
            if self._listener is not None:
                self._listener.close()
            self._uvicorn, self._serving, self._listener, self._url = None, None, None, ""

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()


async def _until_started(server: uvicorn.Server, serving: asyncio.Task[None]) -> None:
    """Wait for uvicorn to accept connections; raise if it gave up first (e.g. a failed lifespan)."""
    while not server.started:
        if serving.done():
            serving.result()  # raises what stopped it, if anything did
            raise RuntimeError("the MCP simulator stopped before it started")
        await asyncio.sleep(0.01)
