"""Cards as Slack messages: Block Kit blocks plus the fallback text notifications show.

Everything a card carries is untrusted (it came from Jira or GitHub), so every piece of text
goes through ``bot.text.render.escape``, and a URL becomes a link or a button only when its host is
the configured Jira site or GitHub web host (``LinkPolicy``). Block Kit's size limits are
applied here so a long summary cannot make Slack refuse the whole message.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bot.lookup.cards import Card, CardRow, NextPage
from bot.text.render import escape

MORE_ACTION = "jira_more"
MORE_BLOCK = "jira_more"

SECTION_CHARS = 3000
FIELD_CHARS = 2000
BUTTON_LABEL_CHARS = 75
BUTTON_VALUE_CHARS = 2000
URL_CHARS = 3000
MAX_FIELDS = 10
FALLBACK_CHARS = 300
TITLE_CHARS = 250

_BACKTICK_PAIR = re.compile(r"`(?=`)")


@dataclass(frozen=True)
class LinkPolicy:
    """The hosts whose URLs may become links: the Jira site and the GitHub web host."""

    hosts: frozenset[str]

    @classmethod
    def for_sites(cls, *, jira_base_url: str | None, github_api_url: str | None) -> LinkPolicy:
        hosts = {_host(jira_base_url)} if jira_base_url else set()
        if github_api_url:
            hosts.add(github_web_host(github_api_url))
        return cls(frozenset(host for host in hosts if host))

    def allows(self, url: str) -> bool:
        if not url or len(url) > URL_CHARS:
            return False
        parts = urlsplit(url)
        return parts.scheme in ("https", "http") and _host(url) in self.hosts and not parts.username


def github_web_host(api_url: str) -> str:
    """Where GitHub's ``html_url`` links point for an API base URL.

    GitHub Enterprise Server serves its API at ``https://HOST/api/v3`` and its pages at HOST;
    any other base (api.github.com, or a proxy or simulator standing in for it) serves
    github.com's data, whose pages are on github.com.
    """
    parts = urlsplit(api_url)
    if parts.path.rstrip("/").endswith("/api/v3"):
        return (parts.hostname or "").lower()
    return "github.com"


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


@dataclass(frozen=True)
class SlackMessage:
    text: str  # the fallback for notifications and clients without blocks
    blocks: list[dict[str, Any]]


def card_message(card: Card, links: LinkPolicy) -> SlackMessage:
    return SlackMessage(text=fallback_text(card), blocks=card_blocks(card, links))


def fallback_text(card: Card) -> str:
    return escape(_clip(card.summary, FALLBACK_CHARS))


def card_blocks(card: Card, links: LinkPolicy) -> list[dict[str, Any]]:
    if card.kind == "notice":
        return [_section(escape(card.title))]
    blocks: list[dict[str, Any]] = [_section(f"*{_link(card.title, card.url, links, TITLE_CHARS)}*")]
    if card.fields:
        blocks[0]["fields"] = [_field(field.label, field.value) for field in card.fields[:MAX_FIELDS]]
    blocks.extend(_rows(card, links))
    if card.code:
        blocks.append(_code(card.code))
    context = [part for part in (_query(card.query), escape(card.footer)) if part]
    if context:
        blocks.append({"type": "context", "elements": [_mrkdwn(part) for part in context]})
    buttons = _buttons(card, links)
    if buttons:
        blocks.append({"type": "actions", "block_id": MORE_BLOCK, "elements": buttons})
    return blocks


def _rows(card: Card, links: LinkPolicy) -> list[dict[str, Any]]:
    if not card.rows:
        return [_section(f"_{escape(card.empty)}_")] if card.empty else []
    lines = [_row(row, links) for row in card.rows]
    if card.rows_heading:
        lines.insert(0, f"*{escape(card.rows_heading)}*")
    return [_section(text) for text in _pack(lines, SECTION_CHARS)]


def _row(row: CardRow, links: LinkPolicy) -> str:
    parts = [escape(row.prefix)] if row.prefix else []
    parts.append(_link(row.key, row.url, links, 120))
    if row.text:
        parts.append(escape(_clip(row.text, 200)))
    line = "• " + " ".join(parts)
    return f"{line} — {escape(_clip(row.detail, 200))}" if row.detail else line


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
            # A cut inside an &amp;-style entity leaves harmless text like "amp;", never markup.
            kept, cut = kept or [escaped[-room:]], True
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
    return f"`{escape(_clip(readable, 1000))}`"


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
    text = escape(_clip(label, limit))
    if not links.allows(url):
        return text
    return f"<{_safe_url(url)}|{text}>"


def _safe_url(url: str) -> str:
    # "|" and ">" would end the <url|label> sequence early; percent-encoding keeps the URL valid.
    return url.replace("&", "&amp;").replace("<", "%3C").replace(">", "%3E").replace("|", "%7C")


def _field(label: str, value: str) -> dict[str, Any]:
    return _mrkdwn(f"*{escape(label)}*\n{escape(_clip(value, FIELD_CHARS - len(label) - 10))}")


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _mrkdwn(_clip(text, SECTION_CHARS))}


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": _clip(text, limit), "emoji": False}


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


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
