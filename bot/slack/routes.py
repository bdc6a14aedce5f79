"""`GET /healthz` and `GET /metrics`, for the HTTP edge and for Socket Mode alike.

Socket Mode receives Slack over a WebSocket, but a platform still probes health and Prometheus
still scrapes; so the same two routes are served there too, on ``$PORT`` when it is set.
"""

from __future__ import annotations

from typing import Protocol

from aiohttp import web

from bot.metrics import CONTENT_TYPE
from bot.services import Services


class Gate(Protocol):
    """Where Slack's work comes in (the HTTP edge, the Socket Mode connection)."""

    draining: bool

    def accepting(self) -> bool: ...


class OpsRoutes:
    """Health and metrics of one process; healthy while its gate takes new work and the DB answers."""

    def __init__(self, services: Services, gate: Gate) -> None:
        self._services = services
        self._gate = gate

    def add_to(self, app: web.Application) -> None:
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/metrics", self.metrics)

    async def healthz(self, request: web.Request) -> web.Response:
        if self._gate.accepting() and await self._services.store.ready():
            return web.json_response({"status": "ok"})
        return web.json_response({"status": "draining" if self._gate.draining else "starting"}, status=503)

    async def metrics(self, request: web.Request) -> web.Response:
        body = self._services.metrics.exposition()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})
