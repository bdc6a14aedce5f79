"""Cards for a terminal (the console and the demo): rich tables on a terminal, plain text elsewhere.

``card_table`` lays a card out for an interactive terminal: its fields as a two-column table, its
rows as a table of key, text and detail. ``card_text`` is the same card as plain lines, for pipes
and files, where a table's width would be a guess and its box lines noise.

Card text comes from Jira and GitHub, so control characters (a terminal escape sequence in
an issue summary could rewrite the screen) are dropped before anything is printed.
"""

from __future__ import annotations

import re

from rich import box
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.style import Style
from rich.table import Table
from rich.text import Text

from bot.lookup import Card, CardRow

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
MORE = "(/more for the next page)"


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
    lines.extend(f"  {note}" for note in _notes(card))
    return "\n".join(lines)


def card_table(card: Card) -> RenderableType:
    """The card for an interactive terminal: a bold title, then its fields and rows as tables."""
    if card.kind == "notice":
        return Text(_clean(card.title))
    parts: list[RenderableType] = [Text(_clean(card.title), style="bold")]
    if card.url:
        parts.append(Text(_clean(card.url), style=Style(dim=True, link=card.url)))
    if card.fields:
        parts.append(_field_table(card))
    if card.rows:
        parts.append(_row_table(card))
    elif card.empty:
        parts.append(Text(_clean(card.empty), style="italic"))
    if card.code:
        log = Text("\n".join(_clean(line) for line in card.code.splitlines()))
        parts.append(Panel(log, box=box.SQUARE, border_style="dim", expand=False))
    parts.extend(Text(note, style="dim") for note in _notes(card))
    return Group(*parts)


def terminal_safe(text: str) -> str:
    """Upstream or model text without control characters; line breaks and tabs are kept."""
    return _CONTROL.sub("", text)


def _field_table(card: Card) -> Table:
    table = Table(show_header=False, box=box.ROUNDED, border_style="dim")
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for field in card.fields:
        table.add_row(_clean(field.label), _clean(field.value))
    return table


def _row_table(card: Card) -> Table:
    table = Table(
        title=_clean(card.rows_heading) or None,
        title_justify="left",
        title_style="bold",
        show_header=False,
        box=None,
        padding=(0, 1),
    )
    with_prefix = any(row.prefix for row in card.rows)
    if with_prefix:
        table.add_column(no_wrap=True)
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    table.add_column(style="dim")
    for row in card.rows:
        key = Text(_clean(row.key), style=Style(link=row.url) if row.url else "")
        cells: list[str | Text] = [key, _clean(row.text), _clean(row.detail)]
        table.add_row(*([_clean(row.prefix), *cells] if with_prefix else cells))
    return table


def _notes(card: Card) -> list[str]:
    """What follows the rows: the query a list answers, the footer, and whether there is more."""
    notes = [f"query: {_clean(card.query)}"] if card.query else []
    if card.footer:
        notes.append(_clean(card.footer))
    if card.next_page is not None:
        notes.append(MORE)
    return notes


def _row(row: CardRow) -> str:
    parts = [row.prefix, row.key, row.text]
    line = "  • " + " ".join(_clean(part) for part in parts if part)
    return f"{line} — {_clean(row.detail)}" if row.detail else line


def _clean(text: str) -> str:
    return _CONTROL.sub("", text.replace("\n", " "))
