"""The Streamable HTTP endpoint of `chatops mcp`: uvicorn serving the MCP server in our event loop.

Every request must carry the bearer token (``BearerGate``, 401 otherwise), and its ``Host`` and
``Origin`` must name this machine on our port (the SDK's DNS-rebinding protection: 421 or 403
otherwise), so a web page in the developer's browser cannot reach the tools. The socket is bound
here, not by uvicorn, so that a taken port is one clear error and port 0 (tests) is known at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import uvicorn
from mcp.server import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.types import ASGIApp

from bot.errors import StartupError
from bot.mcp.bearer import BearerGate

MCP_PATH = "/mcp"
_LOCAL_NAMES = ("127.0.0.1", "localhost", "[::1]")
_SHUTDOWN_SECONDS = 5.0


class _LoopServer(uvicorn.Server):
    """uvicorn without its own signal handlers: `chatops mcp` owns Ctrl-C and SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class Endpoint:
    """The MCP server on ``http://HOST:PORT/mcp`` for the life of ``start`` .. ``stop``."""

    def __init__(self, server: MCPServer, *, token: str, host: str, port: int) -> None:
        self._server = server
        self._token = token
        self._host = host
        self._port = port
        self._uvicorn: _LoopServer | None = None
        self._serving: asyncio.Task[None] | None = None
        self._listener: socket.socket | None = None
        self.url = ""

    async def start(self) -> str:
        """Listen and serve; the endpoint's URL. A port that cannot be bound is a StartupError."""
        if self._serving is not None:
            raise RuntimeError("the MCP endpoint is already running")
        self._listener = _bind(self._host, self._port)
        port = int(self._listener.getsockname()[1])
        config = uvicorn.Config(
            self._app(port), lifespan="on", log_level="warning", access_log=False, ws="none"
        )
        self._uvicorn = _LoopServer(config)
        self._serving = asyncio.create_task(self._uvicorn.serve(sockets=[self._listener]))
        try:
            await _until_started(self._uvicorn, self._serving)
        except BaseException:
            await self.stop()
            raise
        host = f"[{self._host}]" if ":" in self._host else self._host
        self.url = f"http://{host}:{port}{MCP_PATH}"
        return self.url

    async def serve_until(self, stop: asyncio.Event) -> None:
        """Serve until ``stop`` is set (or uvicorn gives up, whose error is raised)."""
        assert self._serving is not None, "start() first"
        stopped = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({stopped, self._serving}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopped.cancel()
        if self._serving.done():
            self._serving.result()

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
            self._uvicorn, self._serving, self._listener, self.url = None, None, None, ""

    def _app(self, port: int) -> ASGIApp:
        names = [*_LOCAL_NAMES, *([self._host] if self._host not in _LOCAL_NAMES else [])]
        security = TransportSecuritySettings(
            allowed_hosts=[f"{name}:{port}" for name in names],
            allowed_origins=[f"http://{name}:{port}" for name in names],
        )
        # A fresh app each start: its session manager can run only once.
        app = self._server.streamable_http_app(
            streamable_http_path=MCP_PATH, transport_security=security, host=self._host
        )
        return BearerGate(app, self._token)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family)
    except OSError as exc:
        raise StartupError(
            f"chatops mcp cannot listen on {host}:{port} ({exc.strerror or exc})",
            "set MCP_PORT to a free port, or MCP_HOST to an address of this machine",
        ) from None


async def _until_started(server: uvicorn.Server, serving: asyncio.Task[None]) -> None:
    """Wait for uvicorn to accept connections; raise if it gave up first (e.g. a failed lifespan)."""
    while not server.started:
        if serving.done():
            serving.result()  # raises what stopped it, if anything did
            raise StartupError("the MCP endpoint stopped before it started", "run with LOG_LEVEL=DEBUG")
        await asyncio.sleep(0.01)
