"""Cards as Slack messages: Block Kit blocks plus the fallback text notifications show.

Everything a card carries is untrusted (it came from Jira or GitHub), so every piece of text
goes through ``bot.text.render.escape``, and a URL becomes a link or a button only when its host is
the configured Jira site or GitHub web host (``LinkPolicy``). Block Kit's size limits are
applied here, to the escaped text Slack receives, so a long summary (or one full of ``&``) cannot
make Slack refuse the whole message.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from bot.lookup import Card, CardRow, LinkPolicy, NextPage
from bot.text import clip, clip_start, escape, escape_clipped, link

MORE_ACTION = "jira_more"
MORE_BLOCK = "jira_more"

SECTION_CHARS = 3000
FIELD_CHARS = 2000
BUTTON_LABEL_CHARS = 75
BUTTON_VALUE_CHARS = 2000
MAX_FIELDS = 10
FALLBACK_CHARS = 300
TITLE_CHARS = 250
LABEL_CHARS = 100  # a field's label, a row's prefix
ROW_KEY_CHARS = 120
ROW_TEXT_CHARS = 200
QUERY_CHARS = 1000
CONTEXT_CHARS = 2000  # under Slack's 3,000 per context element

_BACKTICK_PAIR = re.compile(r"`(?=`)")


@dataclass(frozen=True)
class SlackMessage:
    text: str  # the fallback for notifications and clients without blocks
    blocks: list[dict[str, Any]]


def card_message(card: Card, links: LinkPolicy) -> SlackMessage:
    return SlackMessage(text=fallback_text(card), blocks=card_blocks(card, links))


def fallback_text(card: Card) -> str:
    return escape_clipped(card.summary, FALLBACK_CHARS)


def card_blocks(card: Card, links: LinkPolicy) -> list[dict[str, Any]]:
    if card.kind == "notice":
        return [_section(escape_clipped(card.title, SECTION_CHARS))]
    blocks: list[dict[str, Any]] = [_section(f"*{_link(card.title, card.url, links, TITLE_CHARS)}*")]
    if card.fields:
        blocks[0]["fields"] = [_field(field.label, field.value) for field in card.fields[:MAX_FIELDS]]
    blocks.extend(_rows(card, links))
    if card.code:
        blocks.append(_code(card.code))
    context = [part for part in (_query(card.query), escape_clipped(card.footer, CONTEXT_CHARS)) if part]
    if context:
        blocks.append({"type": "context", "elements": [_mrkdwn(part) for part in context]})
    buttons = _buttons(card, links)
    if buttons:
        blocks.append({"type": "actions", "block_id": MORE_BLOCK, "elements": buttons})
    return blocks


def _rows(card: Card, links: LinkPolicy) -> list[dict[str, Any]]:
    if not card.rows:
        return [_section(f"_{escape_clipped(card.empty, SECTION_CHARS - 2)}_")] if card.empty else []
    lines = [_row(row, links) for row in card.rows]
    if card.rows_heading:
        lines.insert(0, f"*{escape_clipped(card.rows_heading, TITLE_CHARS)}*")
    return [_section(text) for text in _pack(lines, SECTION_CHARS)]


def _row(row: CardRow, links: LinkPolicy) -> str:
    parts = [escape_clipped(row.prefix, LABEL_CHARS)] if row.prefix else []
    parts.append(_link(row.key, row.url, links, ROW_KEY_CHARS))
    if row.text:
        parts.append(escape_clipped(row.text, ROW_TEXT_CHARS))
    line = "• " + " ".join(parts)
    return f"{line} — {escape_clipped(row.detail, ROW_TEXT_CHARS)}" if row.detail else line


def _code(code: str) -> dict[str, Any]:
    """A code block that fits one section: whole lines from the end (a log's last lines matter)."""
    fence = "```"
    room = SECTION_CHARS - 2 * len(fence) - len("\n…\n\n")
    kept: list[str] = []
    used = 0
    cut = False
    # Three backticks would close the block early; a zero-width space between any two keeps them literal.
    for line in reversed(_BACKTICK_PAIR.sub("`\u200b", code).split("\n")):
        escaped = escape(line)
        if used + len(escaped) + 1 > room:
            kept, cut = kept or [clip_start(escaped, room)], True
            break
        kept.append(escaped)
        used += len(escaped) + 1
    body = "\n".join(reversed(kept))
    if cut:
        body = "…\n" + body
    return _section(f"{fence}\n{body}\n{fence}")


def _query(query: str) -> str:
    if not query:
        return ""
    # A backtick would end the code span early; the query stays readable without it.
    readable = query.replace("`", "'")
    return f"`{escape_clipped(readable, QUERY_CHARS)}`"


def _buttons(card: Card, links: LinkPolicy) -> list[dict[str, Any]]:
    buttons: list[dict[str, Any]] = []
    if card.button is not None and links.allows(card.button.url):
        buttons.append(
            {
                "type": "button",
                "action_id": "open_link",
                "text": _plain(card.button.label, BUTTON_LABEL_CHARS),
                "url": card.button.url,
            }
        )
    if card.next_page is not None:
        value = more_value(card.next_page)
        if value is not None:
            buttons.append(
                {"type": "button", "action_id": MORE_ACTION, "text": _plain("More", 75), "value": value}
            )
    return buttons


def more_value(page: NextPage) -> str | None:
    """The "More" button's value, or None when the query is too long to round-trip through Slack."""
    value = json.dumps({"jql": page.jql, "token": page.token}, separators=(",", ":"))
    return value if len(value) <= BUTTON_VALUE_CHARS else None


def parse_more_value(value: str) -> NextPage | None:
    try:
        return NextPage.model_validate_json(value)
    except ValueError:
        return None


def without_more_button(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The blocks of a posted list with its "More" button removed (the next page is on its way)."""
    kept: list[dict[str, Any]] = []
    for block in blocks:
        if block.get("block_id") != MORE_BLOCK:
            kept.append(block)
            continue
        elements = [e for e in block.get("elements", []) if e.get("action_id") != MORE_ACTION]
        if elements:
            kept.append({**block, "elements": elements})
    return kept


def _link(label: str, url: str, links: LinkPolicy, limit: int) -> str:
    text = escape_clipped(label, limit)
    return link(url, text) if links.allows(url) else text


def _field(label: str, value: str) -> dict[str, Any]:
    head = f"*{escape_clipped(label, LABEL_CHARS)}*\n"
    return _mrkdwn(head + escape_clipped(value, FIELD_CHARS - len(head)))


def _section(text: str) -> dict[str, Any]:
    # A last resort: the parts are sized so that escaped text seldom reaches the limit.
    return {"type": "section", "text": _mrkdwn(clip(text, SECTION_CHARS))}


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _plain(text: str, limit: int) -> dict[str, Any]:
    # Slack shows plain_text as it is (no mentions, no entities): only its length matters.
    clipped = text if len(text) <= limit else text[: limit - 1] + "…"
    return {"type": "plain_text", "text": clipped, "emoji": False}


def _pack(lines: list[str], limit: int) -> list[str]:
    """Join lines into as few texts of at most ``limit`` characters as possible."""
    texts: list[str] = []
    current = ""
    for line in lines:
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit and current:
            texts.append(current)
            candidate = line
        current = candidate
    if current:
        texts.append(current)
    return texts
