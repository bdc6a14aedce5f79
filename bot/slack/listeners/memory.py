"""What the bot keeps about a thread, asked in the thread itself: show it, or forget it.

Two plain phrasings are recognised in a thread the bot is part of, before any run starts:
"what do you know here?" lists the stored context, "forget this thread" deletes it. Both are
answered from the store directly, so they cost no model call and leave no new run behind.
"""

from __future__ import annotations

import re
from typing import Literal

from bot.store import Store
from bot.text import escape

MemoryRequest = Literal["inventory", "forget"]

_INVENTORY = re.compile(r"^\s*what\s+do\s+you\s+know\s+(?:here|about\s+this\s+thread)\s*\??\s*$", re.I)
_FORGET = re.compile(r"^\s*(?:please\s+)?forget\s+(?:this|the)\s+thread\s*[.!]?\s*$", re.I)
LAST_TURNS = 3
TURN_PREVIEW = 80  # characters of each turn shown; enough to recognise it
ALL_MESSAGES = 100_000  # the count covers every stored message, not a page of them


def memory_request(text: str) -> MemoryRequest | None:
    """Which thread-memory request ``text`` is, if it is one (the whole message, nothing else)."""
    if _INVENTORY.match(text):
        return "inventory"
    if _FORGET.match(text):
        return "forget"
    return None


async def answer_memory_request(
    store: Store, request: MemoryRequest, team_id: str, channel_id: str, thread_ts: str
) -> str:
    """The reply to post in the thread, after acting on ``request``."""
    if request == "forget":
        forgotten = await store.forget_thread(team_id, channel_id, thread_ts)
        if forgotten:
            return ":wastebasket: Forgotten: I deleted everything I stored about this thread."
        return "I had nothing stored about this thread."
    return await _inventory(store, team_id, channel_id, thread_ts)


async def _inventory(store: Store, team_id: str, channel_id: str, thread_ts: str) -> str:
    conversation = await store.find_conversation(team_id, channel_id, thread_ts)
    if conversation is None:
        return "I have nothing stored about this thread."
    turns = await store.history(conversation, limit=ALL_MESSAGES)
    runs = await store.runs(conversation)
    lines = [f"*What I keep about this thread:* {len(turns)} message(s), {len(runs)} run(s)."]
    for turn in turns[-LAST_TURNS:]:
        text = turn.text if len(turn.text) <= TURN_PREVIEW else turn.text[: TURN_PREVIEW - 1] + "…"
        lines.append(f"• {turn.role}: {escape(text)}")
    for run in runs[-LAST_TURNS:]:
        lines.append(f"• run by <@{run.user_id}>: {run.status}")
    lines.append('Say "forget this thread" to delete it.')
    return "\n".join(lines)
