"""GitHub App authentication: an RS256 JWT buys an installation token, kept until shortly before it expires.

The JWT (``iat`` 60 s in the past against clock drift, ``exp`` 9 minutes ahead, ``iss`` the
app id) is sent only to ``POST /app/installations/{id}/access_tokens``; the installation token it
returns (valid for an hour) is what every other request carries. Tokens are refreshed
``REFRESH_MARGIN`` seconds before ``expires_at``, one refresh at a time, and once more if GitHub
answers 401 (a token revoked early). Neither the key, the JWT nor a token ever reaches a log or
an error message.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Callable
from datetime import datetime
from pathlib import Path

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from integrations.errors import Unavailable
from integrations.github import wire
from integrations.http import decode_json, send

SERVICE = "github"
REFRESH_MARGIN = 300.0
JWT_BACKDATE = 60
JWT_LIFETIME = 540  # GitHub accepts at most 10 minutes


def load_private_key(value: str) -> RSAPrivateKey:
    """The app's RSA key from PEM text or from the path of a PEM file.

    The error never repeats the value: it may be the key itself.
    """
    text = value if "-----BEGIN" in value else _read_pem_file(value)
    try:
        key = serialization.load_pem_private_key(text.encode(), password=None)
    except (ValueError, TypeError):
        raise ValueError("GITHUB_APP_PRIVATE_KEY is not a PEM-encoded private key") from None
    if not isinstance(key, RSAPrivateKey):
        raise ValueError("GITHUB_APP_PRIVATE_KEY must be an RSA key (GitHub signs app JWTs with RS256)")
    return key


def _read_pem_file(path: str) -> str:
    try:
        return Path(path).expanduser().read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        raise ValueError("GITHUB_APP_PRIVATE_KEY is neither PEM text nor a readable PEM file") from None


class InstallationTokens:
    """Mints and caches the installation token of one GitHub App installation."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        app_id: str,
        private_key: RSAPrivateKey,
        installation_id: str,
        api_headers: dict[str, str],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._http = http
        self._app_id = app_id
        self._key = private_key
        self.installation_id = installation_id
        self._api_headers = api_headers
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()
        self.minted = 0

    async def token(self, *, stale: str | None = None) -> str:
        """A token valid for at least REFRESH_MARGIN more seconds; ``stale`` is one GitHub refused."""
        async with self._lock:
            fresh = self._token is not None and self._clock() < self._expires_at - REFRESH_MARGIN
            if not fresh or (stale is not None and stale == self._token):
                await self._mint()
            assert self._token is not None  # set by _mint
            return self._token

    def app_jwt(self) -> str:
        now = int(self._clock())
        claims = {"iat": now - JWT_BACKDATE, "exp": now + JWT_LIFETIME, "iss": self._app_id}
        return jwt.encode(claims, self._key, algorithm="RS256")

    async def _mint(self) -> None:
        path = f"/app/installations/{self.installation_id}/access_tokens"
        headers = {**self._api_headers, "Authorization": f"Bearer {self.app_jwt()}"}
        response = await send(self._http, "POST", path, service=SERVICE, headers=headers)
        body = wire.AccessToken.model_validate(decode_json(response, SERVICE))
        try:
            expires = datetime.fromisoformat(body.expires_at.replace("Z", "+00:00")).timestamp()
        except ValueError:
            raise Unavailable(SERVICE, "the installation token has an unreadable expires_at") from None
        self._token, self._expires_at = body.token, expires
        self.minted += 1


class InstallationAuth(httpx.Auth):
    """Puts the installation token on each request; on a 401 refreshes it once and retries."""

    def __init__(self, tokens: InstallationTokens) -> None:
        self._tokens = tokens

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self._tokens.token()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:
            token = await self._tokens.token(stale=token)
            request.headers["Authorization"] = f"Bearer {token}"
            yield request
