"""The SIMULATED model's rule-based planner: what it looks up, and how it writes from tool results."""

from __future__ import annotations

import json
from collections.abc import Mapping

from simulators.llm import ChatMessage, OfferedTool, ToolCall, compose_answer, plan, split_words

ALL_TOOLS = [
    OfferedTool(name)
    for name in (
        "jira_get_issue",
        "jira_search",
        "github_get_pull_request",
        "github_get_issue",
        "github_search",
    )
]

OPS_2 = {
    "key": "OPS-2",
    "summary": "Roll out payments v2 to all regions",
    "status": "Blocked",
    "assignee": "Fox Mulder",
    "description": "Rollout is paused.\n- Tracking PR: https://github.com/acme/payments/pull/42",
    "links": [
        {
            "relation": "is blocked by",
            "key": "OPS-1",
            "summary": "Fix duplicate charges",
            "status": "In Progress",
        }
    ],
}
PR_42 = {
    "repo": "acme/payments",
    "number": 42,
    "title": "Keep idempotency key on payment retries",
    "state": "open",
    "merged": False,
    "author": "dscully",
    "checks": [
        {"name": "unit-tests", "status": "completed", "conclusion": "success"},
        {"name": "integration-tests", "status": "completed", "conclusion": "failure"},
    ],
}


def fenced(data: Mapping[str, object]) -> str:
    return f'<untrusted-data source="x" tool="y">\n{json.dumps(data)}\n</untrusted-data>'


def test_keys_in_the_question_become_one_lookup_each_in_one_turn() -> None:
    reply = plan([ChatMessage("user", "Compare OPS-2 with OPS-4 please")], ALL_TOOLS)

    assert reply == [
        ToolCall("jira_get_issue", {"key": "OPS-2"}),
        ToolCall("jira_get_issue", {"key": "OPS-4"}),
    ]


def test_pr_refs_and_urls_use_the_github_tools() -> None:
    question = "Is acme/payments#42 green? And https://github.com/acme/payments/issues/40?"

    reply = plan([ChatMessage("user", question)], ALL_TOOLS)

    assert reply == [
        ToolCall("github_get_issue", {"repo": "acme/payments", "number": 40}),
        ToolCall("github_get_pull_request", {"repo": "acme/payments", "number": 42}),
    ]


def test_after_jira_results_it_follows_the_pr_and_the_blocker() -> None:
    conversation = [
        ChatMessage("user", "why is OPS-2 blocked?"),
        ChatMessage("assistant", tool_calls=(ToolCall("jira_get_issue", {"key": "OPS-2"}),)),
        ChatMessage("tool", fenced(OPS_2)),
    ]

    reply = plan(conversation, ALL_TOOLS)

    assert reply == [
        ToolCall("jira_get_issue", {"key": "OPS-1"}),
        ToolCall("github_get_pull_request", {"repo": "acme/payments", "number": 42}),
    ]


def test_when_nothing_new_is_referenced_it_answers_from_the_results() -> None:
    conversation = [
        ChatMessage("user", "why is OPS-2 blocked?"),
        ChatMessage("assistant", tool_calls=(ToolCall("jira_get_issue", {"key": "OPS-2"}),)),
        ChatMessage("tool", fenced(OPS_2)),
        ChatMessage(
            "assistant",
            tool_calls=(
                ToolCall("jira_get_issue", {"key": "OPS-1"}),
                ToolCall("github_get_pull_request", {"repo": "acme/payments", "number": 42}),
            ),
        ),
        ChatMessage(
            "tool", fenced({"key": "OPS-1", "summary": "Fix duplicate charges", "status": "In Progress"})
        ),
        ChatMessage("tool", fenced(PR_42)),
    ]

    reply = plan(conversation, ALL_TOOLS)

    assert isinstance(reply, str)
    assert "*Blocked*" in reply and "Fox Mulder" in reply
    assert "OPS-2 is blocked by OPS-1" in reply
    assert "❌ integration-tests (failure)" in reply
    assert "simulated model" in reply


def test_a_follow_up_without_keys_reuses_those_from_the_history() -> None:
    conversation = [
        ChatMessage("user", "why is OPS-2 blocked?"),
        ChatMessage("assistant", "OPS-2 waits on OPS-1; see acme/payments#42."),
        ChatMessage("user", "who is working on that?"),
    ]

    reply = plan(conversation, ALL_TOOLS)

    assert reply == [
        ToolCall("jira_get_issue", {"key": "OPS-2"}),
        ToolCall("jira_get_issue", {"key": "OPS-1"}),
        ToolCall("github_get_pull_request", {"repo": "acme/payments", "number": 42}),
    ]


def test_a_question_without_references_searches_with_its_words() -> None:
    reply = plan([ChatMessage("user", "what about the staging database credentials?")], ALL_TOOLS)

    assert reply == [
        ToolCall(
            "jira_search", {"jql": 'text ~ "staging database credentials" ORDER BY updated DESC', "limit": 5}
        ),
        ToolCall("github_search", {"query": "staging database credentials", "limit": 5}),
    ]


def test_only_offered_tools_are_called() -> None:
    reply = plan(
        [ChatMessage("user", "OPS-2 and acme/payments#42")], [OfferedTool("github_get_pull_request")]
    )

    assert reply == [ToolCall("github_get_pull_request", {"repo": "acme/payments", "number": 42})]


def test_without_tools_it_says_it_cannot_look_anything_up() -> None:
    reply = plan([ChatMessage("user", "why is OPS-2 blocked?")], [])

    assert isinstance(reply, str) and "cannot look anything up" in reply


def test_failed_and_truncated_results_are_reported_not_invented() -> None:
    answer = compose_answer(["jira_get_issue failed (not found).", '<untrusted-data>{"key": "OPS-9", "summ'])

    assert "not found" in answer
    assert "OPS-9" not in answer


def test_split_words_keeps_every_character() -> None:
    text = "**OPS-2** is  blocked\n- by OPS-1 "

    pieces = split_words(text, 2)

    assert "".join(pieces) == text
    assert len(pieces) > 1


def test_tool_errors_are_reported_from_the_error_object() -> None:
    answer = compose_answer(
        ['{"error": "jira_get_issue failed (not found).\\n<untrusted-data>x</untrusted-data>"}']
    )

    assert "jira_get_issue failed (not found)." in answer


def test_a_who_question_leads_with_the_people() -> None:
    answer = compose_answer(
        [fenced(OPS_2), fenced({**PR_42, "requested_reviewers": ["fmulder"]})], "who owns this?"
    )

    lead = answer.split("\n\n")[0]
    assert lead == (
        "**In short:** OPS-2 is assigned to Fox Mulder. "
        "acme/payments#42 is by dscully, with review requested from fmulder."
    )


def test_a_merge_question_leads_with_what_the_pr_still_needs() -> None:
    pr = {**PR_42, "requested_reviewers": ["fmulder"]}

    answer = compose_answer([fenced(OPS_2), fenced(pr)], "what does the fix need before it can merge?")

    assert answer.split("\n\n")[0] == (
        "**In short:** acme/payments#42 still needs a passing integration-tests check"
        " and a review from fmulder."
    )


def test_issues_attached_to_the_question_are_not_looked_up_again() -> None:
    question = "why is OPS-2 blocked?\n\nLooked up before you were asked:\n\n" + fenced(OPS_2)

    reply = plan([ChatMessage("user", question)], ALL_TOOLS)

    # Straight to what OPS-2 points at: its blocker and its PR.
    assert reply == [
        ToolCall("jira_get_issue", {"key": "OPS-1"}),
        ToolCall("github_get_pull_request", {"repo": "acme/payments", "number": 42}),
    ]


def test_attached_issues_are_part_of_the_answer() -> None:
    question = "who owns OPS-2?\n\nLooked up before you were asked:\n\n" + fenced(OPS_2)

    reply = plan([ChatMessage("user", question)], [OfferedTool("jira_get_issue")])
    assert reply == [ToolCall("jira_get_issue", {"key": "OPS-1"})]
    conversation = [
        ChatMessage("user", question),
        ChatMessage("assistant", tool_calls=tuple(reply)),
        ChatMessage(
            "tool",
            fenced({"key": "OPS-1", "summary": "Fix", "status": "In Progress", "assignee": "Dana Scully"}),
        ),
    ]

    answer = plan(conversation, [OfferedTool("jira_get_issue")])

    assert isinstance(answer, str)
    assert "OPS-2 is assigned to Fox Mulder" in answer and "OPS-1" in answer
