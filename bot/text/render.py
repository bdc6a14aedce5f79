"""Make untrusted text safe to show in Slack, and cut long text into message-sized pieces.

Text from the LLM, Jira or GitHub must never reach Slack with live control sequences:
``<!channel>``, ``<@U123>``, ``<#C123>``, ``<url|label>`` or a bare ``@here`` would ping
people or disguise links. Escaping ``& < >`` disarms every angle-bracket sequence, and a
zero-width joiner after ``@`` disarms the bare broadcast words.

Slack's length limits apply to the text it receives, so text is escaped first and clipped
afterwards (``escape_clipped``): escaping makes ``&`` five characters long, and a value
clipped before it could grow past the limit and have the whole message refused.
"""

from __future__ import annotations

import re

ZERO_WIDTH_JOINER = "\u200d"

_BROADCAST_WORDS = ("channel", "here", "everyone")
_BROADCAST = re.compile(r"@(?=(?:channel|here|everyone))", re.IGNORECASE)
# "@" followed by a strict prefix of a broadcast word, at the very end of the text: the
# next chunk may complete it, so a streaming escaper must hold it back.
_STRICT_PREFIXES = [re.escape(word[:n]) for word in _BROADCAST_WORDS for n in range(1, len(word))]
_UNFINISHED_BROADCAST = re.compile("@(?:" + "|".join(_STRICT_PREFIXES) + r")?\Z", re.IGNORECASE)
_LONGEST_HOLD = 1 + max(len(word) for word in _BROADCAST_WORDS)
_BOUNDARIES = ("\n\n", "\n", " ")
_LONGEST_ENTITY = len("&amp;")
ELLIPSIS = "…"


def escape(text: str) -> str:
    """Return ``text`` with Slack control sequences neutralised; the visible text is unchanged."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub("@" + ZERO_WIDTH_JOINER, escaped)


def escape_clipped(text: str, limit: int) -> str:
    """``escape(text)``, clipped to at most ``limit`` characters: the limit holds for what Slack gets."""
    return clip(escape(text), limit)


def clip(safe: str, limit: int) -> str:
    """Already-escaped ``safe`` in at most ``limit`` characters, ending in "…" when shortened.

    Never cuts an ``&amp;``-style entity or one of our own ``<url|label>`` sequences in half
    (escaped text has no other ``<``): the part that would be cut in half is left out.
    """
    if len(safe) <= limit:
        return safe
    if limit < len(ELLIPSIS):
        return ""
    head = safe[: _entity_safe(safe, limit - len(ELLIPSIS))]
    if head.rfind("<") > head.rfind(">"):
        head = head[: head.rfind("<")]
    return head + ELLIPSIS


def clip_start(safe: str, limit: int) -> str:
    """The last ``limit`` characters at most of already-escaped ``safe``, not starting inside an entity."""
    if len(safe) <= limit:
        return safe
    if limit < 1:
        return ""
    start = len(safe) - limit
    if _entity_safe(safe, start) != start:  # inside an entity: start after it
        start = safe.index(";", start) + 1
    return safe[start:]


def link(url: str, label: str) -> str:
    """A Slack ``<url|label>`` link to ``url`` (already allowed by the caller), for escaped ``label``.

    ``|`` and ``>`` in the URL would end the sequence early; percent-encoding keeps the URL valid.
    """
    target = url.replace("&", "&amp;").replace("<", "%3C").replace(">", "%3E").replace("|", "%7C")
    return f"<{target}|{label}>"


class StreamEscaper:
    """Escapes text that arrives in chunks, safe across chunk boundaries.

    ``"".join(feed(c) for c in chunks) + flush() == escape("".join(chunks))``: a tail that
    could still become ``@channel`` with the next chunk is held back until it is decided.
    """

    def __init__(self) -> None:
        self._tail = ""

    def feed(self, chunk: str) -> str:
        text = self._tail + chunk
        hold = _unfinished_tail_length(text)
        self._tail = text[len(text) - hold :]
        return escape(text[: len(text) - hold])

    def flush(self) -> str:
        text, self._tail = self._tail, ""
        return escape(text)


def _unfinished_tail_length(text: str) -> int:
    match = _UNFINISHED_BROADCAST.search(text, max(0, len(text) - _LONGEST_HOLD))
    return len(text) - match.start() if match else 0


def cut_index(text: str, limit: int) -> int:
    """Where to cut ``text`` so the head fits in ``limit`` characters, at the nicest boundary.

    Prefers a paragraph break, then a line break, then a space, in the second half of the
    window; then any such break; then a hard cut that does not split an ``&amp;``-style
    entity. Returns ``len(text)`` when it fits. May return 0 when ``limit`` is tiny.
    """
    if len(text) <= limit:
        return len(text)
    window = text[:limit]
    for separator in _BOUNDARIES:
        start = window.rfind(separator)
        if start >= 0 and start + len(separator) > limit // 2:
            return start + len(separator)
    for separator in _BOUNDARIES:
        start = window.rfind(separator)
        if start > 0:
            return start + len(separator)
    return _entity_safe(text, limit)


def _entity_safe(text: str, cut: int) -> int:
    ampersand = text.rfind("&", max(0, cut - _LONGEST_ENTITY + 1), cut)
    if ampersand >= 0 and ";" not in text[ampersand:cut] and ";" in text[cut : ampersand + _LONGEST_ENTITY]:
        return ampersand
    return cut


def split_text(text: str, limit: int) -> list[str]:
    """Split ``text`` into pieces of at most ``limit`` characters; ``"".join`` gives it back."""
    if limit < 1:
        raise ValueError("limit must be positive")
    pieces: list[str] = []
    while text:
        cut = cut_index(text, limit) or limit
        pieces.append(text[:cut])
        text = text[cut:]
    return pieces
