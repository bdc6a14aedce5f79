"""`/healthz` and `/metrics` on loopback: healthy only while the gate takes work; Prometheus metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from aiohttp import web

from bot.metrics import CONTENT_TYPE
from bot.services import Services
from bot.slack.routes import OpsRoutes
from simulators.base import LocalServer


@dataclass
class Door:
    """A gate (the HTTP edge, the socket) reduced to its two switches."""

    open: bool = False
    draining: bool = False

    def accepting(self) -> bool:
        return self.open and not self.draining


@dataclass
class Served:
    door: Door
    http: httpx.AsyncClient


@pytest.fixture
async def served(services: Services) -> AsyncIterator[Served]:
    door = Door()
    app = web.Application()
    OpsRoutes(services, door).add_to(app)
    async with LocalServer(app) as server, httpx.AsyncClient(base_url=server.url) as http:
        yield Served(door, http)


async def test_health_is_starting_then_ok_then_draining(served: Served) -> None:
    starting = await served.http.get("/healthz")
    served.door.open = True
    ok = await served.http.get("/healthz")
    served.door.draining = True
    draining = await served.http.get("/healthz")

    assert (starting.status_code, starting.json()) == (503, {"status": "starting"})
    assert (ok.status_code, ok.json()) == (200, {"status": "ok"})
    assert (draining.status_code, draining.json()) == (503, {"status": "draining"})


async def test_metrics_are_prometheus_text_whatever_the_gate(served: Served) -> None:
    response = await served.http.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"] == CONTENT_TYPE
    assert "# TYPE " in response.text and "chatops_" in response.text


async def test_only_the_two_routes_are_served(served: Served) -> None:
    assert (await served.http.post("/healthz")).status_code == 405
    assert (await served.http.get("/slack/events")).status_code == 404
