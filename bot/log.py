"""Logging set-up: one line per record, as text or JSON, with secrets redacted.

Every record carries the context it was logged in (run_id, team, channel, thread_ts, kind):
the edge and the intake set it in context variables with ``log_context``, the tasks they start
copy it, and ``ContextFilter`` stamps it onto each record.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import re
import sys
from collections.abc import Iterator
from typing import Any

# Token shapes we hand to upstreams; a value that slips into a message is masked before output.
_SECRET = re.compile(
    r"(xox[abprs]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|gh[pousr]_[A-Za-z0-9_]+|github_pat_[A-Za-z0-9_]+"
    r"|ATATT[A-Za-z0-9_\-=]+|sk-[A-Za-z0-9_\-]{8,}|(?i:bearer|basic)\s+[A-Za-z0-9._~+/=-]+)"
)


CONTEXT_FIELDS = ("run_id", "team", "channel", "thread_ts", "kind")
_CONTEXT: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "chatops_log_context", default=None
)


def redact(text: str) -> str:
    return _SECRET.sub("[redacted]", text)


@contextlib.contextmanager
def log_context(**fields: str | None) -> Iterator[None]:
    """Add fields to the log context of this task (and of tasks started inside the block)."""
    unknown = set(fields) - set(CONTEXT_FIELDS)
    if unknown:
        raise ValueError(f"unknown log context fields: {sorted(unknown)}")
    merged = {**current_context(), **{key: value for key, value in fields.items() if value}}
    token = _CONTEXT.set(merged)
    try:
        yield
    finally:
        _CONTEXT.reset(token)


def current_context() -> dict[str, str]:
    return dict(_CONTEXT.get() or {})


class ContextFilter(logging.Filter):
    """Stamps the current log context onto each record (as attributes, empty when unset)."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _CONTEXT.get() or {}
        for key in CONTEXT_FIELDS:
            if not hasattr(record, key):
                setattr(record, key, context.get(key, ""))
        return True


def _context_of(record: logging.LogRecord) -> dict[str, str]:
    return {key: value for key in CONTEXT_FIELDS if (value := str(getattr(record, key, "") or ""))}


class TextFormatter(logging.Formatter):
    """The whole formatted record, traceback included, is redacted."""

    def format(self, record: logging.LogRecord) -> str:
        context = " ".join(f"{key}={value}" for key, value in _context_of(record).items())
        line = super().format(record)
        return redact(f"{line} [{context}]" if context else line)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(self._entry(record))

    def _entry(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **_context_of(record),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str = "INFO", fmt: str = "console") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(ContextFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
