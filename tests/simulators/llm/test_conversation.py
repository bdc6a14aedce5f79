"""A conversation as the SIMULATED model reads it: tool calls paired with their results, deltas."""

from __future__ import annotations

from simulators.llm import ChatMessage, ToolCall, split_words
from simulators.llm.conversation import calls_and_results, split_context

OPS_1 = ToolCall("jira_get_issue", {"key": "OPS-1"})
PR_42 = ToolCall("github_get_pull_request", {"repo": "acme/payments", "number": 42})


def test_each_call_is_paired_with_the_result_that_answered_it_in_call_order() -> None:
    turn = [
        ChatMessage("assistant", tool_calls=(OPS_1, PR_42)),
        ChatMessage("tool", "issue"),
        ChatMessage("tool", "not found"),
        ChatMessage("assistant", tool_calls=(OPS_1,)),
    ]

    assert calls_and_results(turn) == [(OPS_1, "issue"), (PR_42, "not found"), (OPS_1, None)]


def test_the_question_is_split_from_the_context_the_app_attached() -> None:
    text = 'why?\n\nLooked up before you were asked:\n\n<untrusted-data source="jira">{}</untrusted-data>'

    question, context = split_context(text)

    assert question == "why?" and context == ['<untrusted-data source="jira">{}</untrusted-data>']


def test_split_words_keeps_every_character() -> None:
    text = "**OPS-2** is  blocked\n- by OPS-1 "

    pieces = split_words(text, 2)

    assert "".join(pieces) == text
    assert len(pieces) > 1
