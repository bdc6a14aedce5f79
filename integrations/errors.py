"""The one error hierarchy of chatops-bot, with retry semantics on the type.

    ChatOpsError                  root; ``retryable`` says whether trying again may help
    ├── UpstreamError             a call to Jira / GitHub / the LLM failed (``service``, ``status``)
    │   ├── RateLimited           429 / rate-limit 403; ``retry_after`` seconds      (retryable)
    │   ├── Unavailable           5xx, timeouts, connection errors                     (retryable)
    │   │   └── Timeout           no answer within the HTTP timeout                    (retryable)
    │   ├── NotFound              404 / 410 (GitHub: "not found or no access")         (final)
    │   ├── PermissionDenied      401 / 403                                            (final)
    │   └── BadRequest            400 / 422 and other 4xx                              (final)
    └── bot.errors.BotError       failures inside the bot itself (see bot/errors.py)

Messages never carry secrets: they name the service, the status and what upstream said.
"""

from __future__ import annotations


class ChatOpsError(Exception):
    """Root of every error this project raises on purpose."""

    retryable: bool = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UpstreamError(ChatOpsError):
    """An upstream service answered with an error or could not be reached."""

    def __init__(self, service: str, message: str, *, status: int | None = None) -> None:
        super().__init__(f"{service}: {message}")
        self.service = service
        self.status = status


class RateLimited(UpstreamError):
    retryable = True

    def __init__(
        self, service: str, message: str, *, status: int | None = 429, retry_after: float | None = None
    ) -> None:
        super().__init__(service, message, status=status)
        self.retry_after = retry_after


class Unavailable(UpstreamError):
    retryable = True


class Timeout(Unavailable):
    """The upstream did not answer within the request's timeout."""


class NotFound(UpstreamError):
    pass


class PermissionDenied(UpstreamError):
    pass


class BadRequest(UpstreamError):
    pass
