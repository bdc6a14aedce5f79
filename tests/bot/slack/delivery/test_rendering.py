"""How a run's events read in a Slack thread (``bot.slack.delivery.rendering``): pure text."""

from __future__ import annotations

import pytest

from bot.events import Failed, Interrupted, StatusChanged, TextDelta, ToolFinished, ToolStarted
from bot.slack.delivery.rendering import (
    NO_ANSWER,
    WORKING,
    AnswerText,
    ending,
    failure_note,
    first_status,
    plan_chunk,
    status_line,
    task_chunk,
)
from bot.text.render import escape


def test_deltas_are_escaped_even_when_a_mention_is_split_between_them() -> None:
    text = AnswerText()
    shown = text.feed("ping @chan") + text.feed("nel and <@U1> & co") + text.rest()
    assert shown == escape("ping @channel and <@U1> & co")
    assert "@channel" not in shown and "<@U1>" not in shown


def test_the_final_text_adds_only_what_the_deltas_did_not_carry() -> None:
    text = AnswerText()
    shown = text.feed("OPS-2 is ")
    assert shown + text.rest("OPS-2 is <blocked>") == "OPS-2 is &lt;blocked&gt;"


def test_a_final_text_that_disagrees_with_the_deltas_adds_nothing() -> None:
    text = AnswerText()
    shown = text.feed("streamed")
    assert shown + text.rest("something else") == "streamed"


@pytest.mark.parametrize(
    ("note", "shown", "expected"),
    [
        (":warning: failed", True, "\n\n:warning: failed"),
        (":warning: failed", False, ":warning: failed"),
        ("", True, ""),
        ("", False, NO_ANSWER),
    ],
)
def test_an_answer_ends_with_its_note_on_a_paragraph_of_its_own_or_says_none_came(
    note: str, shown: bool, expected: str
) -> None:
    assert ending(note, shown=shown) == expected


def test_a_failure_note_is_a_warning_with_the_message_escaped() -> None:
    assert failure_note(Failed("Jira said <no>")) == ":warning: Jira said &lt;no&gt;"
    assert failure_note(Interrupted("stopped")) == ":warning: stopped"


def test_the_first_status_is_the_runs_own_or_working_on_it() -> None:
    assert first_status(StatusChanged("thinking")) == "thinking"
    assert first_status(StatusChanged("")) == WORKING
    assert first_status(TextDelta("hi")) == WORKING


def test_status_line_and_plan_title_are_escaped() -> None:
    assert status_line("reading <OPS-2>") == "is reading &lt;OPS-2&gt;…"
    assert plan_chunk("thinking & co").to_dict()["title"] == "Thinking &amp; co"


def test_tool_steps_become_task_cards_in_progress_then_complete_or_error() -> None:
    started = task_chunk(ToolStarted("c1", "jira_get_issue", "Jira: get <OPS-2>")).to_dict()
    assert (started["id"], started["title"], started["status"]) == (
        "c1",
        "Jira: get &lt;OPS-2&gt;",
        "in_progress",
    )
    assert (
        task_chunk(ToolFinished("c1", "jira_get_issue", True, "OPS-2: Blocked")).to_dict()["status"]
        == "complete"
    )
    failed = task_chunk(ToolFinished("c2", "github_get_pr", False, "")).to_dict()
    assert (failed["title"], failed["status"]) == ("github_get_pr", "error")
