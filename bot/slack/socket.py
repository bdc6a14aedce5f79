"""Socket Mode: the same Slack app over a WebSocket opened with the app-level token."""

from __future__ import annotations

import logging

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bot.config import Settings
from bot.services import Services, build_services
from bot.slack.app import build_slack_app
from bot.slack.delivery import SlackConnection
from bot.slack.routes import OpsRoutes
from bot.slack.server import listen, slack_checked, start_runs, until_signalled

log = logging.getLogger(__name__)


class SocketIngress:
    """The Slack app's WebSocket connection: ``stop()`` ends intake, ``close()`` frees the rest."""

    def __init__(self, handler: AsyncSocketModeHandler, slack: SlackConnection) -> None:
        self._handler = handler
        self._slack = slack
        self.connected = False
        self.draining = False

    def accepting(self) -> bool:
        return self.connected and not self.draining

    async def stop(self) -> None:
        """Close the connection and stay closed, so no new envelope arrives while runs drain."""
        self.draining = True
        client = self._handler.client
        # Otherwise the client's monitor notices the closed socket and opens a new one.
        client.default_auto_reconnect_enabled = False
        client.auto_reconnect_enabled = False
        await self._handler.disconnect_async()  # type: ignore[no-untyped-call]

    async def close(self) -> None:
        await self._handler.close_async()  # type: ignore[no-untyped-call]
        await self._slack.aclose()


async def start_socket(settings: Settings, services: Services) -> SocketIngress:
    """Check both tokens, recover interrupted runs, then connect; raises SlackApiError on a bad token."""
    assert settings.slack_bot_token is not None and settings.slack_app_token is not None
    slack = await SlackConnection.open(
        settings.slack_bot_token.get_secret_value(),
        settings.slack_api_url,
        trace_configs=[services.metrics.slack_trace()],
        store=services.store,
    )
    bolt = build_slack_app(
        services.intake,
        services.store,
        slack,
        signing_secret=None,
        socket_mode=True,
        lookup=services.lookup,
        links=services.links,
        unfurler=services.unfurler,
        desk=services.desk,
        workflows=services.workflows,
        answer_footer=services.settings.answer_footer,
    )
    app_token = settings.slack_app_token.get_secret_value()
    handler = AsyncSocketModeHandler(bolt, app_token, web_client=slack.client)
    ingress = SocketIngress(handler, slack)
    try:
        await start_runs(services, slack)
        # The SDK retries a failed connect forever; asking for the URL here fails fast instead, and
        # (unlike issue_new_wss_url, which logs it first) leaves a refusal to be reported once.
        opened = await slack.client.apps_connections_open(app_token=app_token)
        handler.client.wss_uri = str(opened["url"])
        await handler.connect_async()  # type: ignore[no-untyped-call]
        ingress.connected = True
    except BaseException:
        await ingress.close()
        raise
    return ingress


async def run_socket(settings: Settings) -> None:
    services = await build_services(settings, "socket")
    try:
        with slack_checked(settings.slack_api_url):
            ingress = await start_socket(settings, services)
        ops: web.AppRunner | None = None
        try:
            ops = await serve_ops(settings, services, ingress)  # a taken PORT still closes the socket
            log.info("connected over Socket Mode")
            await until_signalled()
            await ingress.stop()  # stop intake first
            await services.runs.shutdown()
        finally:
            if ops is not None:
                await ops.cleanup()
            await ingress.close()
    finally:
        await services.aclose()


async def serve_ops(settings: Settings, services: Services, ingress: SocketIngress) -> web.AppRunner | None:
    """/healthz and /metrics on $PORT, only when PORT is set: a worker process may have no port."""
    if "port" not in settings.model_fields_set:
        return None
    app = web.Application()
    OpsRoutes(services, ingress).add_to(app)
    runner = await listen(app, settings.port)
    log.info("health and metrics on :%d", settings.port)
    return runner
