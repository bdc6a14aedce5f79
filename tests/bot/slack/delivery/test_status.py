"""Status words: a tool step as a person reads it in the thread's status line."""

from __future__ import annotations

import pytest

from bot.events import ToolStarted
from bot.slack.delivery.status import LOADING_LIMIT, step_words


def _step(name: str, **arguments: object) -> ToolStarted:
    return ToolStarted("call-1", name, f"{name}(…)", dict(arguments))


@pytest.mark.parametrize(
    ("step", "words"),
    [
        (_step("jira_get_issue", key="OPS-2"), "Reading OPS-2…"),
        (_step("jira_search", jql="project = OPS"), "Searching Jira…"),
        (
            _step("github_get_pull_request", repo="acme/payments", number=42),
            "Checking acme/payments#42 and its CI…",
        ),
        (
            _step("github_workflow_runs", repo="acme/payments", branch="main"),
            "Checking CI for acme/payments on main…",
        ),
        (_step("github_workflow_runs", repo="acme/payments", run_id=7), "Reading CI run 7 of acme/payments…"),
        (_step("github_search", query="retry"), "Searching GitHub…"),
        (_step("jira_add_comment", key="OPS-1", body="done"), "Drafting a comment on OPS-1…"),
        (_step("linear_search_issues", query="x"), "Using linear_search_issues…"),  # a tool we do not know
        (_step("jira_get_issue"), "Reading a Jira issue…"),  # arguments missing: still a sentence
    ],
)
def test_a_step_reads_as_what_the_agent_does(step: ToolStarted, words: str) -> None:
    assert step_words(step) == words


def test_the_models_arguments_are_escaped() -> None:
    assert step_words(_step("jira_get_issue", key="<!channel>")) == "Reading &lt;!channel&gt;…"


def test_every_status_fits_a_loading_message() -> None:
    words = step_words(_step("github_list_pull_requests", repo="acme/" + "x" * 90))
    assert len(words) == LOADING_LIMIT and words.startswith("Listing pull requests of acme/xx")
    assert words.endswith("…") and not words.endswith("……")
