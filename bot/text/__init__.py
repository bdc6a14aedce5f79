"""Text for people: untrusted text neutralised for Slack (no live mentions, escaped mrkdwn,
limits held after escaping), any error as one short sentence, and a long log reduced to what
matters (``reduce_log``).

Rule: pure functions, no I/O; imports nothing from the bot but ``bot.errors``.
"""

from __future__ import annotations

from bot.text.explain import explain
from bot.text.logs import reduce_log
from bot.text.render import StreamEscaper, clip, clip_start, cut_index, escape, escape_clipped, link

__all__ = [
    "StreamEscaper",
    "clip",
    "clip_start",
    "cut_index",
    "escape",
    "escape_clipped",
    "explain",
    "link",
    "reduce_log",
]
