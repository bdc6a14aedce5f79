"""The SIMULATED model's JQL rules, and that the simulated Jira accepts what they write."""

from __future__ import annotations

import pytest

from simulators.jira import Person, draft_for, simulated_people, write_jql
from simulators.llm import ChatMessage, OfferedTool, ToolCall, plan


@pytest.mark.parametrize(
    ("text", "jql"),
    [
        (
            "open bugs in OPS assigned to Dana",
            'project = OPS AND issuetype = Bug AND status != Done AND assignee = "Dana Scully"',
        ),
        ("Blocked issues assigned to Fox Mulder", 'status = Blocked AND assignee = "Fox Mulder"'),
        ("my open tasks", "issuetype = Task AND status != Done AND assignee = currentUser()"),
        (
            "unassigned stories in OPS and PAY",
            "project in (OPS, PAY) AND issuetype = Story AND assignee is EMPTY",
        ),
        ("high priority bugs in progress", 'issuetype = Bug AND status = "In Progress" AND priority = High'),
        ("everything in OPS", "project = OPS"),
        ("payments dashboard stale totals", 'text ~ "payments dashboard stale totals"'),
        ('"?"', 'text ~ "\\"?\\""'),
    ],
)
def test_rules(text: str, jql: str) -> None:
    assert write_jql(text).jql == jql


def test_people_match_by_first_last_or_user_name() -> None:
    people = [Person("Dana Scully", "dscully")]

    for words in ("Dana", "scully", "dscully", "Dana Scully"):
        assert (
            write_jql(f"bugs assigned to {words}", people).jql
            == 'issuetype = Bug AND assignee = "Dana Scully"'
        )
    assert write_jql("bugs assigned to Nobody", people).jql == 'issuetype = Bug AND assignee = "Nobody"'


def test_the_seed_people_are_the_simulated_jiras_users() -> None:
    assert Person("Dana Scully", "dscully") in simulated_people()


def test_the_translator_prompt_scopes_requests_that_name_no_project() -> None:
    assert (
        draft_for("Projects: OPS, PAY\nRequest: stale totals").jql
        == 'project in (OPS, PAY) AND text ~ "stale totals"'
    )
    assert draft_for("Projects: OPS, PAY\nRequest: bugs in PAY").jql == "project = PAY AND issuetype = Bug"


def test_the_planner_answers_the_output_tool_with_a_draft() -> None:
    messages = [ChatMessage("system", "translate"), ChatMessage("user", "Request: open bugs in OPS")]

    reply = plan(messages, [OfferedTool("submit_jql", frozenset({"jql", "explanation"}))])

    assert reply == [
        ToolCall(
            "submit_jql",
            {
                "jql": "project = OPS AND issuetype = Bug AND status != Done",
                "explanation": "Issues in OPS, of type Bug, open.",
            },
        )
    ]
