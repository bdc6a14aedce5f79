"""The static bearer token `chatops mcp` over HTTP requires, checked by an ASGI wrapper.

A request without ``Authorization: Bearer <MCP_SERVER_TOKEN>`` gets 401 with a JSON body and a
``WWW-Authenticate`` challenge before the MCP transport sees it; lifespan events pass through.
The token is compared in constant time and never passed to Jira or GitHub.
"""

from __future__ import annotations

import hmac
import json

from starlette.types import ASGIApp, Receive, Scope, Send

_UNAUTHORIZED = json.dumps(
    {"error": "unauthorized", "error_description": "send Authorization: Bearer <MCP_SERVER_TOKEN>"}
).encode()


class BearerGate:
    """Let an HTTP request through only when it carries the expected bearer token."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        if not token.strip():
            raise ValueError("the bearer token must not be empty")
        self._app = app
        self._expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._authorized(scope):
            await self._app(scope, receive, send)
            return
        headers = [
            (b"content-type", b"application/json"),
            (b"www-authenticate", b'Bearer error="invalid_token"'),
        ]
        await send({"type": "http.response.start", "status": 401, "headers": headers})
        await send({"type": "http.response.body", "body": _UNAUTHORIZED})

    def _authorized(self, scope: Scope) -> bool:
        given = dict(scope["headers"]).get(b"authorization", b"")
        return hmac.compare_digest(given, self._expected)
