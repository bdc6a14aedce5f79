"""The Slack Web API client the bot uses, with retries that honour Slack's rate limits."""

from __future__ import annotations

from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

RATE_LIMIT_RETRIES = 3


def build_web_client(token: str, base_url: str = "https://slack.com/api/") -> AsyncWebClient:
    """An ``AsyncWebClient`` that waits out HTTP 429s (``Retry-After``) and retries dropped connections.

    The SDK retries connection errors only by default; rate-limit retries are opt-in.
    """
    return AsyncWebClient(
        token=token,
        base_url=base_url if base_url.endswith("/") else base_url + "/",
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(),
            AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        ],
    )
