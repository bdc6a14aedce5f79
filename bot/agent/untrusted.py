"""Fencing of untrusted tool output before it enters the model's context.

Jira and GitHub text is written by anyone who can file an issue or open a PR, so it reaches the
model only as clearly delimited data, cut to a fixed size, with any look-alike fence markers
inside it neutralised so the content cannot close its own fence and speak as the application.
"""

from __future__ import annotations

import re

FENCE_TAG = "untrusted-data"
_MARKER = re.compile(r"<\s*(/?)\s*untrusted-data", re.IGNORECASE)


def fence(body: str, *, source: str, tool: str, limit: int) -> str:
    """Wrap `body` as untrusted data from `source`, truncated to `limit` characters."""
    text = truncate(neutralise(body), limit)
    return f'<{FENCE_TAG} source="{source}" tool="{tool}">\n{text}\n</{FENCE_TAG}>'


def neutralise(text: str) -> str:
    """Defuse any opening or closing fence marker inside the data."""
    return _MARKER.sub(lambda match: f"&lt;{match.group(1)}{FENCE_TAG}", text)


def truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\n…[truncated {len(text) - limit} more characters]"
