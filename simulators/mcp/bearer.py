"""The SIMULATED MCP server's optional static bearer check, as an ASGI wrapper.

The MCP spec makes authorization optional and allows a static token; a team's MCP server
behind a gateway often works like this. HTTP requests without ``Authorization: Bearer <token>``
get 401 with a ``WWW-Authenticate`` challenge; lifespan events pass through.
"""

from __future__ import annotations

import hmac
import json

from starlette.types import ASGIApp, Receive, Scope, Send


class BearerGate:
    """Let an HTTP request through only when it carries the expected bearer token."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        if not token:
            raise ValueError("the required bearer token must not be empty")
        self._app = app
        self._expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._authorized(scope):
            await self._app(scope, receive, send)
            return
        await _unauthorized(send)

    def _authorized(self, scope: Scope) -> bool:
        given = dict(scope["headers"]).get(b"authorization", b"")
        return hmac.compare_digest(given, self._expected)


async def _unauthorized(send: Send) -> None:
    body = json.dumps({"error": "unauthorized", "error_description": "a valid bearer token is required"})
    headers = [
        (b"content-type", b"application/json"),
        (b"www-authenticate", b'Bearer error="invalid_token"'),
    ]
    await send({"type": "http.response.start", "status": 401, "headers": headers})
    await send({"type": "http.response.body", "body": body.encode()})
