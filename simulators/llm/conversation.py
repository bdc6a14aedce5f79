"""A conversation as the SIMULATED model sees it, whichever wire protocol it came in on.

Messages and tool calls, the question split from the fenced context the app attaches to it, tool
results read back as JSON, and the text helpers of the wire (deltas, a rough token count).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

_FENCE = re.compile(r"<untrusted-data[^>]*>(.*?)</untrusted-data>", re.DOTALL)
_FENCE_BLOCK = re.compile(r"<untrusted-data[^>]*>.*?</untrusted-data>", re.DOTALL)


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One tool call the model asks for."""

    name: str
    arguments: dict[str, Any]


Reply = str | list[ToolCall]


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message of a conversation, whichever wire protocol it came in on."""

    role: Literal["system", "user", "assistant", "tool"]
    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()


def split_context(text: str) -> tuple[str, list[str]]:
    """The question and the fenced context the app attached after it (see bot/agent/runner.py).

    The app sends ``question``, a blank line, one line introducing the context, then the fences.
    """
    start = text.find("<untrusted-data")
    if start < 0:
        return text, []
    head = text[:start].rstrip()
    question = head.rsplit("\n\n", 1)[0] if "\n\n" in head else head
    return question, _FENCE_BLOCK.findall(text, start)


def fenced_lines(text: str) -> list[str]:
    """The non-empty lines inside the fences of ``text``."""
    return [line.strip() for block in _FENCE.findall(text) for line in block.splitlines() if line.strip()]


def parse_result(content: str) -> dict[str, Any] | None:
    """The JSON object of a tool result (bare, or inside an untrusted-data fence), or None."""
    for candidate in (content, *_FENCE.findall(content)):
        try:
            data = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(data, dict):
            return data
    return None


def last_user_index(messages: Sequence[ChatMessage]) -> int:
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].role == "user":
            return index
    return -1


def calls_and_results(turn: Sequence[ChatMessage]) -> list[tuple[ToolCall, str | None]]:
    """Each tool call of the turn with the result that answered it (results come in call order)."""
    pairs: list[tuple[ToolCall, str | None]] = []
    waiting: list[int] = []
    for message in turn:
        if message.tool_calls:
            waiting = list(range(len(pairs), len(pairs) + len(message.tool_calls)))
            pairs += [(call, None) for call in message.tool_calls]
        elif message.role == "tool" and waiting:
            index = waiting.pop(0)
            pairs[index] = (pairs[index][0], message.text)
    return pairs


def first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line[:160]


def split_words(text: str, words_per_delta: int = 3) -> list[str]:
    """Cut text into small deltas of a few words each, keeping every character."""
    tokens = re.findall(r"\S+\s*|\s+", text)
    return ["".join(tokens[i : i + words_per_delta]) for i in range(0, len(tokens), words_per_delta)]


def estimate_tokens(text: str) -> int:
    """A rough, deterministic token count (about four characters a token)."""
    return max(1, len(text) // 4) if text else 0
