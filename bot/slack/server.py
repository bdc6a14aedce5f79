"""HTTP mode: aiohttp serving Slack's Events API, slash commands and interactivity.

Bolt turns a malformed body or a non-numeric signature timestamp into a 500 with a
traceback in the log; this edge answers those with a 4xx before Bolt sees them.
While the process drains, new requests get 503 so Slack retries them elsewhere.
The port opens only once the database is migrated and the bot token checked, so /healthz is
never 200 for a process that cannot work: a refused token, an unreachable Slack or a taken
port end start-up with a StartupError instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
from collections.abc import Iterator
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.errors import StartupError
from bot.log import log_context
from bot.metrics import Metrics, request_kind
from bot.runs import Adoption, RunControl
from bot.services import Services, build_services
from bot.slack.app import build_slack_app
from bot.slack.delivery import SlackConnection, SlackSinks
from bot.slack.routes import OpsRoutes

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


class Ingress:
    """The aiohttp side of the Slack endpoint, with a health check and a drain switch."""

    def __init__(self, bolt: AsyncApp, services: Services, slack: SlackConnection) -> None:
        self._bolt = bolt
        self._services = services
        self._slack = slack
        self._metrics: Metrics = services.metrics
        self.draining = False
        self.ready = False

    async def aclose(self) -> None:
        await self._slack.aclose()

    def web_app(self) -> web.Application:
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_post(EVENTS_PATH, self.slack_events)
        OpsRoutes(self._services, self).add_to(app)
        return app

    def accepting(self) -> bool:
        return self.ready and not self.draining

    async def slack_events(self, request: web.Request) -> web.StreamResponse:
        started = self._metrics.clock()
        raw = (await request.read()).decode("utf-8", "replace")
        kind = request_kind(request.content_type, raw)
        # Listeners Bolt starts from here copy this context, so their log records carry the kind too.
        with log_context(kind=kind):
            response = await self._slack_events(request, started, kind)
        self._metrics.requests.labels(kind).observe(self._metrics.clock() - started)
        return response

    async def _slack_events(self, request: web.Request, started: float, kind: str) -> web.StreamResponse:
        if self.draining:
            return _error(503, "shutting down")
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        if timestamp and not timestamp.isdigit():
            return _error(401, "invalid request")
        try:
            raw = (await request.read()).decode("utf-8")
            bolt_request = AsyncBoltRequest(body=raw, query=request.query_string, headers=_headers(request))
        except (UnicodeDecodeError, json.JSONDecodeError, ValueError, KeyError, TypeError):
            return _error(400, "malformed request body")
        response = await self._bolt.async_dispatch(bolt_request)
        self._metrics.acks.labels(kind).observe(self._metrics.clock() - started)
        return await to_aiohttp_response(response)


def _headers(request: web.Request) -> dict[str, Any]:
    return {key.lower(): request.headers.getall(key) for key in request.headers}


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def start_ingress(settings: Settings, services: Services) -> Ingress:
    """Build the Slack app and its HTTP edge; check auth and recover interrupted runs first."""
    assert settings.slack_bot_token is not None
    slack = await SlackConnection.open(
        settings.slack_bot_token.get_secret_value(),
        settings.slack_api_url,
        trace_configs=[services.metrics.slack_trace()],
        store=services.store,
    )
    signing_secret = (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    )
    bolt = build_slack_app(
        services.intake,
        services.store,
        slack,
        signing_secret=signing_secret,
        lookup=services.lookup,
        links=services.links,
        unfurler=services.unfurler,
        desk=services.desk,
        workflows=services.workflows,
        answer_footer=services.settings.answer_footer,
    )
    try:
        await start_runs(services, slack)
    except BaseException:
        await slack.aclose()
        raise
    ingress = Ingress(bolt, services, slack)
    ingress.ready = True
    return ingress


def slack_sinks(services: Services, slack: SlackConnection) -> SlackSinks:
    """The Slack edge's sinks for this process's runs, rebuilt from each run's origin."""
    return SlackSinks(slack.client, services.store, services.desk, services.intake.stop_here)


async def start_runs(services: Services, slack: SlackConnection) -> None:
    """Launch this process's durable runs once everything they render through is in place: runs
    its executor left unfinished resume at once, then the digest schedules are applied."""
    services.runs.route("slack", slack_sinks(services, slack))
    await services.runs.start()
    engine = services.runs.engine
    if engine is not None:  # the fleet finishes what a departed replica left
        control = await RunControl.open(
            services.store, services.settings.database_url, system_url=engine.system_url
        )
        adoption = Adoption(control, services.store, app_name=engine.app_name, me=engine.executor_id)
        adoption.start()
        services.add_closer(adoption)
    if services.workflows is not None and services.workflows.scheduler is not None:
        await services.workflows.scheduler.start()


async def run_http(settings: Settings) -> None:
    services = await build_services(settings, "serve", port=settings.port)
    try:
        with slack_checked(settings.slack_api_url):
            ingress = await start_ingress(settings, services)
        try:
            runner = await listen(ingress.web_app(), settings.port)
            log.info("listening on :%d%s", settings.port, EVENTS_PATH)
            await until_signalled()
            ingress.draining = True
            await services.runs.shutdown()
            await runner.cleanup()
        finally:
            await ingress.aclose()
    finally:
        await services.aclose()


async def listen(app: web.Application, port: int) -> web.AppRunner:
    """Serve ``app`` on ``port`` (all interfaces); a port that cannot be bound is a StartupError."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "0.0.0.0", port).start()
    except OSError as exc:
        await runner.cleanup()
        raise StartupError(
            f"cannot listen on port {port} ({os.strerror(exc.errno) if exc.errno else exc})",
            "stop the process that holds it, or set PORT to a free port",
        ) from exc
    return runner


# Slack's answers to auth.test or apps.connections.open that mean "this token is wrong".
_REFUSED_TOKEN = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "not_allowed_token_type",
    }
)


@contextlib.contextmanager
def slack_checked(api_url: str) -> Iterator[None]:
    """Turn Slack refusing a token at start-up, or not being reached, into a StartupError."""
    try:
        yield
    except SlackApiError as exc:
        code = str(exc.response.get("error") or f"HTTP {exc.response.status_code}")
        if code not in _REFUSED_TOKEN:
            raise StartupError(f"Slack answered {code} at {api_url}", "check SLACK_API_URL") from exc
        # Only Socket Mode's connection request is made with the app-level token.
        variable = "SLACK_APP_TOKEN" if "apps.connections.open" in exc.response.api_url else "SLACK_BOT_TOKEN"
        raise StartupError(
            f"Slack refused {variable} ({code})",
            f"copy the token again from your app's page at https://api.slack.com/apps into {variable}",
        ) from exc
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise StartupError(
            f"cannot reach Slack at {api_url} ({type(exc).__name__})",
            "check SLACK_API_URL and the network (or HTTPS_PROXY)",
        ) from exc


async def until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()  # handlers stay installed: a second SIGTERM during the drain is harmless
    log.info("stopping: intake closed, letting runs finish")
