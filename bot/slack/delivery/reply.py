"""One bot message that grows as the answer arrives, on one rung of the delivery ladder.

``Reply`` is what every rung's message offers: ``StreamedReply`` (``bot.slack.delivery.stream``)
uses Slack's native streaming, ``EditedReply`` (``bot.slack.delivery.edited``) posts a message and
rewrites it, ``ResponseUrlReply`` (``bot.slack.delivery.response_url``) answers through a slash
command's response_url where the bot cannot post at all. Either way, ``close(full_text, closing)``
leaves the message showing exactly ``full_text``, with ``closing`` (the feedback buttons of a
finished answer) under it in the same message. Every call goes through ``SlackDelivery`` (and so
through the workspace's budget). Text is already escaped here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from slack_sdk.models.messages.chunk import Chunk

PLACEHOLDER = "_Working on it…_"
EMPTY_MESSAGE = "…"


class Reply(Protocol):
    """A bot message in a thread that can grow and be finalised."""

    @property
    def ts(self) -> str | None: ...

    @property
    def shows_tasks(self) -> bool: ...

    @property
    def write_method(self) -> str:
        """The Web API method the next ``append`` will use (to wait for its budget)."""
        ...

    async def append(self, text: str, *, wait: bool = True) -> None:
        """Add ``text``. With ``wait=False`` an interim write that finds no free slot raises
        ``BudgetExhausted`` and changes nothing, so the caller keeps the text for later."""
        ...

    async def task(self, chunk: Chunk) -> None: ...

    async def close(self, full_text: str, closing: Sequence[dict[str, Any]] = ()) -> None:
        """Show exactly ``full_text``, and ``closing`` (blocks) under it, and stop growing."""
        ...


def message_body(
    text: str, blocks: Sequence[dict[str, Any]] = (), *, in_blocks: bool = False
) -> dict[str, Any]:
    """A message's content: ``markdown_text``, or (with blocks under it, or ``in_blocks``) a
    markdown block followed by ``blocks``, with ``text`` as the notification fallback."""
    if not blocks and not in_blocks:
        return {"markdown_text": text}
    return {"text": text, "blocks": [{"type": "markdown", "text": text}, *blocks]}
