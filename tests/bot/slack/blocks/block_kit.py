"""Slack's rules for what it accepts, as checks on built messages: Block Kit's length limits,
whole ``&amp;``-style entities, and no live mention or broadcast in text from outside.

The limits are Slack's published ones (https://docs.slack.dev/reference/block-kit/blocks);
Slack counts the characters it receives, so these are checked on the escaped text.
"""

from __future__ import annotations

import re
from typing import Any

MAX_BLOCKS = 50
SECTION_TEXT = 3000
SECTION_FIELDS = 10
FIELD_TEXT = 2000
CONTEXT_ELEMENTS = 10
CONTEXT_TEXT = 3000
HEADER_TEXT = 150
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
BUTTON_URL = 3000

# Every "&" in escaped text starts an entity; one that does not was cut in half (or never escaped).
_BROKEN_ENTITY = re.compile(r"&(?!amp;|lt;|gt;)")
LIVE = (
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U0VICTIM>",
    "<#C0SECRET>",
    "@here",
    "@channel",
    "@everyone",
)


def hostile(length: int) -> str:
    """``length`` characters that escaping makes five times longer or turns into mentions."""
    unit = "&<>@here <!channel> <@U0VICTIM> "
    return (unit * (length // len(unit) + 1))[:length]


def breaches(blocks: list[dict[str, Any]]) -> list[str]:
    """Every way ``blocks`` break Block Kit's limits; empty when Slack would accept them."""
    found = [f"{len(blocks)} blocks"] if len(blocks) > MAX_BLOCKS else []
    for index, block in enumerate(blocks):
        found.extend(f"block {index}: {problem}" for problem in _block_breaches(block))
    return found


def _block_breaches(block: dict[str, Any]) -> list[str]:
    kind = block["type"]
    if kind == "section":
        fields = block.get("fields", [])
        found = _too_long("text", block["text"]["text"], SECTION_TEXT)
        found += [f"{len(fields)} fields"] if len(fields) > SECTION_FIELDS else []
        return found + [p for field in fields for p in _too_long("field", field["text"], FIELD_TEXT)]
    if kind == "context":
        elements = block["elements"]
        found = [f"{len(elements)} elements"] if len(elements) > CONTEXT_ELEMENTS else []
        return found + [p for e in elements for p in _too_long("context", e["text"], CONTEXT_TEXT)]
    if kind == "header":
        return _too_long("header", block["text"]["text"], HEADER_TEXT)
    if kind == "actions":
        return [p for button in block["elements"] for p in _button_breaches(button)]
    return []


def _button_breaches(button: dict[str, Any]) -> list[str]:
    return (
        _too_long("button text", button["text"]["text"], BUTTON_TEXT)
        + _too_long("button value", button.get("value", ""), BUTTON_VALUE)
        + _too_long("button url", button.get("url", ""), BUTTON_URL)
    )


def _too_long(what: str, text: str, limit: int) -> list[str]:
    return [f"{what} has {len(text)} characters, over {limit}"] if len(text) > limit else []


def mrkdwn_texts(blocks: list[dict[str, Any]]) -> list[str]:
    """The text of every mrkdwn object in ``blocks`` (what Slack parses for mentions and entities)."""
    texts: list[str] = []
    for block in blocks:
        objects = [block.get("text") or {}, *block.get("fields", []), *block.get("elements", [])]
        texts.extend(o["text"] for o in objects if isinstance(o, dict) and o.get("type") == "mrkdwn")
    return texts


def broken_entities(text: str) -> list[str]:
    """The places where ``text`` has an ``&`` that does not start a whole entity."""
    return [text[m.start() : m.start() + 6] for m in _BROKEN_ENTITY.finditer(text)]


def live_mentions(text: str) -> list[str]:
    return [sequence for sequence in LIVE if sequence in text]
