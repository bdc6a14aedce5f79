"""Socket Mode: the same Slack app over a WebSocket opened with the app-level token."""

from __future__ import annotations

import logging

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bot.config import Settings
from bot.recovery import recover_interrupted
from bot.server import until_signalled
from bot.services import build_services
from bot.slack_app import build_slack_app
from bot.slack_client import build_web_client

log = logging.getLogger(__name__)


async def run_socket(settings: Settings) -> None:
    assert settings.slack_bot_token is not None and settings.slack_app_token is not None
    services = await build_services(settings)
    try:
        client = build_web_client(settings.slack_bot_token.get_secret_value(), settings.slack_api_url)
        await client.auth_test()
        await recover_interrupted(services.store, client)
        bolt = build_slack_app(services.intake, services.store, client, signing_secret=None, socket_mode=True)
        handler = AsyncSocketModeHandler(bolt, settings.slack_app_token.get_secret_value(), web_client=client)
        await handler.connect_async()  # type: ignore[no-untyped-call]
        log.info("connected over Socket Mode")
        await until_signalled()
        await handler.disconnect_async()  # type: ignore[no-untyped-call]  # stop intake first
        await services.dispatcher.shutdown()
        await handler.close_async()  # type: ignore[no-untyped-call]
    finally:
        await services.aclose()
