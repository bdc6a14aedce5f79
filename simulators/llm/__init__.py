"""SIMULATED LLM: an OpenAI-compatible and Anthropic Messages server on loopback.

Its answers come from a deterministic rule-based ``planner`` (tool calls, then an answer built
only from tool results; ``draft_writer`` fills the drafting tools), or from turns a test
scripts. Every answer is labelled ``simulated-model``; nothing here is a real model.

May import: ``simulators.base``, ``simulators.jira`` (its JQL writer and seed people) and the
standard library; never ``bot``.
"""

from simulators.llm.planner import (
    SIMULATED_NOTE,
    ChatMessage,
    OfferedTool,
    ToolCall,
    compose_answer,
    plan,
    split_words,
)
from simulators.llm.simulator import SIMULATED_MODEL, LLMSimulator, RecordedRequest

__all__ = [
    "SIMULATED_MODEL",
    "SIMULATED_NOTE",
    "ChatMessage",
    "LLMSimulator",
    "OfferedTool",
    "RecordedRequest",
    "ToolCall",
    "compose_answer",
    "plan",
    "split_words",
]
