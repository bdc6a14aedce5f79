"""A `Digest` as plain text for a terminal (the console and the demo)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.console.cards import terminal_safe
from bot.workflows import Digest


def digest_text(digest: Digest, *, problems: Sequence[str] = ()) -> str:
    lines = [_clean(digest.title)]
    if digest.summary:
        lines.append(f"  {_clean(digest.summary)}")
    for section in digest.sections:
        lines.append(f"  {_clean(section.title)}:")
        for item in section.items:
            link = f"  {_clean(item.url)}" if item.url else ""
            lines.append(f"    • {_clean(item.text)}{link}")
    if problems:
        lines.append("  could not read: " + "; ".join(_clean(problem) for problem in problems))
    return "\n".join(lines)


def _clean(text: str) -> str:
    # Model and upstream text: a terminal escape sequence could rewrite the screen.
    return terminal_safe(text.replace("\n", " "))
