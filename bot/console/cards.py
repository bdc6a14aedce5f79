"""Cards as plain text for a terminal (the console and the demo).

Card text comes from Jira and GitHub, so control characters (a terminal escape sequence in
an issue summary could rewrite the screen) are dropped before anything is printed.
"""

from __future__ import annotations

import re

from bot.lookup import Card, CardRow

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def card_text(card: Card) -> str:
    if card.kind == "notice":
        return _clean(card.title)
    lines = [_clean(card.title)]
    if card.url:
        lines.append(f"  {_clean(card.url)}")
    width = max((len(field.label) for field in card.fields), default=0)
    lines.extend(f"  {_clean(field.label):<{width}}  {_clean(field.value)}" for field in card.fields)
    if card.rows_heading and card.rows:
        lines.append(f"  {_clean(card.rows_heading)}:")
    lines.extend(_row(row) for row in card.rows)
    if not card.rows and card.empty:
        lines.append(f"  {_clean(card.empty)}")
    lines.extend(f"  | {_clean(line)}" for line in card.code.splitlines())
    if card.query:
        lines.append(f"  query: {_clean(card.query)}")
    if card.footer:
        lines.append(f"  {_clean(card.footer)}")
    if card.next_page is not None:
        lines.append("  (/more for the next page)")
    return "\n".join(lines)


def _row(row: CardRow) -> str:
    parts = [row.prefix, row.key, row.text]
    line = "  • " + " ".join(_clean(part) for part in parts if part)
    return f"{line} — {_clean(row.detail)}" if row.detail else line


def _clean(text: str) -> str:
    return _CONTROL.sub("", text.replace("\n", " "))
