"""One short human sentence for any error, to show a person in Slack or the console.

Each upstream error type of ``integrations.errors`` gets its own wording, naming the service.
The sentence is plain text (callers escape it for their surface); it never carries a
traceback, a header or a token: only the service, the HTTP status and, for a rejected request,
what the upstream said was wrong (for example a JQL syntax error), cut short.
"""

from __future__ import annotations

import logging
import math

from integrations.errors import (
    BadRequest,
    ChatOpsError,
    NotFound,
    PermissionDenied,
    RateLimited,
    Timeout,
    Unavailable,
    UpstreamError,
)

log = logging.getLogger(__name__)

_SERVICE_NAMES = {"jira": "Jira", "github": "GitHub", "llm": "The language model", "slack": "Slack"}
_DETAIL_CHARS = 160


def explain(exc: BaseException, *, subject: str = "") -> str:
    """A sentence saying what went wrong; `subject` (e.g. ``OPS-2``) names what was asked for."""
    if isinstance(exc, UpstreamError):
        return _upstream(exc, subject)
    if isinstance(exc, ChatOpsError):
        return _sentence(exc.message)
    if isinstance(exc, TimeoutError):
        return "That took too long; please try again."
    # Anything else is a bug: the details go to the log, never to the person.
    log.warning("explaining an unexpected %s", type(exc).__name__)
    return "Something went wrong inside the bot."


def _upstream(exc: UpstreamError, subject: str) -> str:
    service = service_name(exc.service)
    if isinstance(exc, RateLimited):
        return f"{service} is rate limiting the bot, try again {_retry_in(exc.retry_after)}."
    if isinstance(exc, NotFound):
        return _not_found(exc, service, subject)
    if isinstance(exc, PermissionDenied):
        return _permission(exc, service, subject)
    if isinstance(exc, Unavailable):
        return _unavailable(exc, service)
    if isinstance(exc, BadRequest):
        detail = _detail(exc)
        return f"{service} did not accept the request" + (f": {detail}" if detail else ".")
    return f"{service} answered with an error{_status(exc)}."


def _not_found(exc: NotFound, service: str, subject: str) -> str:
    what = subject or "That"
    if exc.service == "github":
        # GitHub answers 404 for private resources the token cannot see, so both are possible.
        return f"{what} was not found on GitHub, or the bot has no access to it."
    return f"{what} was not found in {service}."


def _permission(exc: PermissionDenied, service: str, subject: str) -> str:
    if exc.status == 401:
        return f"{service} rejected the bot's credentials; an admin needs to check them."
    target = f" to {subject}" if subject else ""
    return f"The bot has no access{target} in {service}."


def _unavailable(exc: Unavailable, service: str) -> str:
    if isinstance(exc, Timeout):
        return f"{service} did not answer in time; please try again in a moment."
    return f"{service} is not answering right now{_status(exc)}; please try again in a moment."


def service_name(service: str) -> str:
    """``"github"`` -> ``"GitHub"``; unknown services keep their own name."""
    return _SERVICE_NAMES.get(service, service.capitalize() if service else "An upstream service")


def _retry_in(seconds: float | None) -> str:
    if seconds is None or seconds <= 0:
        return "shortly"
    return f"in {max(1, math.ceil(seconds))} s"


def _status(exc: UpstreamError) -> str:
    return f" (HTTP {exc.status})" if exc.status else ""


def _detail(exc: UpstreamError) -> str:
    # The message reads "service: HTTP 400: what upstream said"; keep what upstream said.
    text = exc.message.removeprefix(f"{exc.service}: ")
    if text.startswith("HTTP "):
        text = text.split(": ", 1)[1] if ": " in text else ""
    text = " ".join(text.split())
    return text if len(text) <= _DETAIL_CHARS else text[: _DETAIL_CHARS - 1] + "…"


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    if not text:
        return "Something went wrong inside the bot."
    return text if text.endswith((".", "!", "?")) else text + "."
