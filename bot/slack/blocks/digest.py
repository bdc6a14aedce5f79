"""A `Digest` as a Slack message: a header, the summary, one section per kind of fact, links.

The digest's text was written by the model from upstream data, so all of it is escaped, and an
item's URL becomes a link only when the link policy allows its host (the Jira site, GitHub).
Long sections are split to stay inside Block Kit's limits, which hold for the escaped text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.lookup import LinkPolicy
from bot.slack.blocks.cards import SlackMessage
from bot.text import clip, escape_clipped, link
from bot.workflows import Digest, DigestItem

SECTION_CHARS = 3000
HEADER_CHARS = 150
CONTEXT_CHARS = 2000  # under Slack's 3,000 per context element
FALLBACK_CHARS = 300
SECTION_TITLE_CHARS = 80
ITEM_CHARS = 300
MAX_BLOCKS = 48  # Slack allows 50 per message; two stay free for the context lines


def digest_message(digest: Digest, links: LinkPolicy, *, problems: Sequence[str] = ()) -> SlackMessage:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _clip_plain(digest.title, HEADER_CHARS)}}
    ]
    if digest.summary:
        blocks.append(_section(escape_clipped(digest.summary, SECTION_CHARS)))
    for section in digest.sections:
        title = escape_clipped(section.title, SECTION_TITLE_CHARS)
        lines = [f"*{title}*", *(_item(item, links) for item in section.items)]
        blocks.extend(_section(text) for text in _pack(lines))
    blocks = blocks[:MAX_BLOCKS]
    if problems:
        note = "Could not read: " + "; ".join(problems)
        blocks.append({"type": "context", "elements": [_mrkdwn(escape_clipped(note, CONTEXT_CHARS))]})
    text = escape_clipped(f"{digest.title}: {digest.summary}", FALLBACK_CHARS)
    return SlackMessage(text=text, blocks=blocks)


def _item(item: DigestItem, links: LinkPolicy) -> str:
    text = escape_clipped(item.text, ITEM_CHARS)
    return f"• {link(item.url, text)}" if links.allows(item.url) else f"• {text}"


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _mrkdwn(clip(text, SECTION_CHARS))}


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _pack(lines: list[str]) -> list[str]:
    texts: list[str] = []
    current = ""
    for line in lines:
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > SECTION_CHARS and current:
            texts.append(current)
            candidate = line
        current = candidate
    return [*texts, current] if current else texts


def _clip_plain(text: str, limit: int) -> str:
    # plain_text is shown as it is (no mentions, no entities): only its length matters.
    return text if len(text) <= limit else text[: limit - 1] + "…"
