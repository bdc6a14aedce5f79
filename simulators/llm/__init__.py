"""SIMULATED LLM: an OpenAI-compatible and Anthropic Messages server on loopback.

Its answers come from a deterministic rule-based ``planner`` that reads the tools it is offered
from their schemas (``toolbox``) and what the question names (``entities``), calls the tools that
fit, and writes its answer only from their results (``answer_writer``); ``draft_writer`` fills the
drafting forms. Tests may script exact turns instead. Every answer is labelled
``simulated-model``; nothing here is a real model.

May import: ``simulators.base``, ``simulators.jira`` (its JQL writer and seed people) and the
standard library; never ``bot``.
"""

from simulators.llm.answer_writer import SIMULATED_NOTE, compose_answer
from simulators.llm.conversation import ChatMessage, ToolCall, split_words
from simulators.llm.planner import plan
from simulators.llm.simulator import SIMULATED_MODEL, LLMSimulator, RecordedRequest
from simulators.llm.toolbox import OfferedTool

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
