"""A `Digest` as a Slack message: a header, the summary, one section per kind of fact, links.

The digest's text was written by the model from upstream data, so all of it is escaped, and an
item's URL becomes a link only when the link policy allows its host (the Jira site, GitHub).
Long sections are split to stay inside Block Kit's limits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.slack.blocks.cards import LinkPolicy, SlackMessage
from bot.text.render import escape
from bot.workflows.digest import Digest, DigestItem

SECTION_CHARS = 3000
HEADER_CHARS = 150
MAX_BLOCKS = 48  # Slack allows 50 per message; two stay free for the context lines


def digest_message(digest: Digest, links: LinkPolicy, *, problems: Sequence[str] = ()) -> SlackMessage:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _clip(digest.title, HEADER_CHARS)}}
    ]
    if digest.summary:
        blocks.append(_section(escape(digest.summary)))
    for section in digest.sections:
        lines = [f"*{escape(_clip(section.title, 80))}*", *(_item(item, links) for item in section.items)]
        blocks.extend(_section(text) for text in _pack(lines))
    blocks = blocks[:MAX_BLOCKS]
    if problems:
        note = "Could not read: " + "; ".join(problems)
        blocks.append({"type": "context", "elements": [_mrkdwn(escape(_clip(note, 2000)))]})
    return SlackMessage(text=escape(_clip(f"{digest.title}: {digest.summary}", 300)), blocks=blocks)


def _item(item: DigestItem, links: LinkPolicy) -> str:
    text = escape(_clip(item.text, 300))
    if not links.allows(item.url):
        return f"• {text}"
    url = item.url.replace("&", "&amp;").replace("<", "%3C").replace(">", "%3E").replace("|", "%7C")
    return f"• <{url}|{text}>"


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _mrkdwn(_clip(text, SECTION_CHARS))}


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


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
