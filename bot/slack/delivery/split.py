"""Where to end a Slack message when an answer is longer than one message may be.

Markdown is cut at a paragraph break or at the edge of a code block, never inside a fenced
block, unless one block alone is longer than a message: then it is cut at a line inside it,
the head gets a closing fence and the next message reopens the block with the same opening
line, so both render as code. Nothing else is added or dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.text import cut_index

CLOSING_FENCE = "```"
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Fence:
    """A fenced code block: ``start`` is where its opening line begins, ``end`` after its closing line."""

    start: int
    end: int
    opener: str  # the opening line with its newline, e.g. "```python\n"


@dataclass(frozen=True, slots=True)
class Cut:
    """Where to end the message. ``reopen`` is set when the cut falls inside a code block."""

    at: int
    reopen: str = ""

    def head(self, text: str) -> str:
        """The message to send: ``text[:at]``, plus a closing fence when cut inside a block."""
        head = text[: self.at]
        if not self.reopen:
            return head
        return head + ("" if head.endswith("\n") else "\n") + CLOSING_FENCE

    def tail(self, text: str) -> str:
        """What goes on in the next message."""
        return self.reopen + text[self.at :]


def fences(text: str) -> list[Fence]:
    """The fenced code blocks in ``text``; an unclosed one runs to the end."""
    found: list[Fence] = []
    opening: re.Match[str] | None = None
    for match in _FENCE.finditer(text):
        if opening is None:
            opening = match
            continue
        marker = match.group(1)
        opened = opening.group(1)
        if marker[0] == opened[0] and len(marker) >= len(opened) and not match.group(2).strip():
            end = match.end() + (1 if text[match.end() : match.end() + 1] == "\n" else 0)
            found.append(Fence(opening.start(), end, _opener(text, opening)))
            opening = None
    if opening is not None:
        found.append(Fence(opening.start(), len(text), _opener(text, opening)))
    return found


def _opener(text: str, match: re.Match[str]) -> str:
    return text[match.start() : match.end()].lstrip(" ") + "\n"


def message_cut(text: str, limit: int) -> Cut:
    """Where to cut ``text`` so the head (with any closing fence) fits in ``limit`` characters.

    Preference, among cuts outside code blocks: a paragraph break or block edge in the second
    half of the window, a line break there, either of those anywhere, a space. Only when the
    window starts inside a block too long for one message is the block itself cut.
    """
    if len(text) <= limit:
        return Cut(len(text))
    blocks = fences(text)
    outside = _outside_cut(text, limit, blocks)
    if outside:
        return Cut(outside)
    inside = next((block for block in blocks if block.start < limit < block.end), None)
    if inside is None:
        return Cut(cut_index(text, limit) or limit)
    room = limit - len("\n" + CLOSING_FENCE)
    line = text.rfind("\n", inside.start + len(inside.opener), room)
    at = line + 1 if line >= 0 else cut_index(text, room) or room
    return Cut(at, inside.opener)


def _outside_cut(text: str, limit: int, blocks: list[Fence]) -> int:
    def free(position: int) -> bool:
        return 0 < position <= limit and not any(b.start < position < b.end for b in blocks)

    edges = [b.start for b in blocks] + [b.end for b in blocks]
    paragraphs = [m.end() for m in re.finditer(r"\n\n+", text[: limit + 2])]
    lines = [m.end() for m in re.finditer(r"\n", text[: limit + 1])]
    spaces = [m.end() for m in re.finditer(r" +", text[: limit + 1])]
    strong = sorted(p for p in paragraphs + edges if free(p))
    weak = sorted(p for p in lines if free(p))
    half = limit // 2
    for candidates in (
        [p for p in strong if p > half],
        [p for p in weak if p > half],
        strong,
        weak,
        sorted(p for p in spaces if free(p)),
    ):
        if candidates:
            return candidates[-1]
    return 0
