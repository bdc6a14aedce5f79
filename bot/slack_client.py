"""The Slack Web API client the bot uses, with retries that honour Slack's rate limits."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

RATE_LIMIT_RETRIES = 3


def build_web_client(
    token: str | None,
    base_url: str = "https://slack.com/api/",
    *,
    session: aiohttp.ClientSession | None = None,
) -> AsyncWebClient:
    """An ``AsyncWebClient`` that waits out HTTP 429s (``Retry-After``) and retries dropped connections.

    The SDK retries connection errors only by default; rate-limit retries are opt-in. Without a
    shared ``session`` the SDK opens a new connection for every call.
    """
    return AsyncWebClient(
        token=token,
        base_url=base_url if base_url.endswith("/") else base_url + "/",
        session=session,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(),
            AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        ],
    )


@dataclass
class SlackConnection:
    """A checked bot identity: one pooled HTTP session, one `auth.test`, reused for every request.

    Bolt's single-team authorization calls `auth.test` for every request that arrives before
    its first answer, so a burst after a deploy cost one call per request; here it is one call.
    """

    client: AsyncWebClient
    identity: AuthorizeResult
    _session: aiohttp.ClientSession

    @classmethod
    async def open(cls, token: str, base_url: str) -> SlackConnection:
        """Connect and run `auth.test`; raises SlackApiError for a bad token."""
        session = aiohttp.ClientSession()
        client = build_web_client(token, base_url, session=session)
        try:
            auth = await client.auth_test()
        except BaseException:
            await session.close()
            raise
        return cls(
            client, AuthorizeResult.from_auth_test_response(auth_test_response=auth, bot_token=token), session
        )

    def app_client(self) -> AsyncWebClient:
        """A token-less client for Bolt: each request's client gets the token from `identity`."""
        return build_web_client(None, self.client.base_url, session=self._session)

    async def aclose(self) -> None:
        await self._session.close()
