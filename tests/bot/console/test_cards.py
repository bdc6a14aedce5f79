"""Cards as terminal text: fields aligned, rows listed, and no control character from upstream data."""

from __future__ import annotations

import io
import re

from rich.console import Console

from bot.console.cards import card_table, card_text
from bot.lookup.actions import github_log_card
from bot.lookup.cards import Card, CardField, CardRow, NextPage, notice_card
from integrations.github.models import JobLog

ESCAPE = "\x1b[2J"  # "clear the screen", as an issue summary could carry it


def test_an_issue_card_lists_its_link_and_aligned_fields() -> None:
    card = Card(
        kind="jira_issue",
        title="OPS-2: Roll out payments v2",
        url="https://acme.atlassian.net/browse/OPS-2",
        fields=[CardField(label="Status", value="Blocked"), CardField(label="Assignee", value="Fox Mulder")],
        footer="updated 2 days ago",
    )

    assert card_text(card).splitlines() == [
        "OPS-2: Roll out payments v2",
        "  https://acme.atlassian.net/browse/OPS-2",
        "  Status    Blocked",
        "  Assignee  Fox Mulder",
        "  updated 2 days ago",
    ]


def test_a_list_shows_its_rows_its_query_and_that_there_is_more() -> None:
    card = Card(
        kind="jira_list",
        title="2 issues",
        rows_heading="Open",
        rows=[
            CardRow(key="OPS-1", text="Retry fix", detail="In Progress", prefix="🔴"),
            CardRow(key="OPS-2", text="Roll out"),
        ],
        query="project = OPS",
        next_page=NextPage(jql="project = OPS", token="t2"),
    )

    assert card_text(card).splitlines() == [
        "2 issues",
        "  Open:",
        "  • 🔴 OPS-1 Retry fix — In Progress",
        "  • OPS-2 Roll out",
        "  query: project = OPS",
        "  (/more for the next page)",
    ]


def test_an_empty_list_says_so_and_a_notice_is_its_text_alone() -> None:
    empty = Card(kind="jira_list", title="0 issues", rows_heading="Open", empty="Nothing matches.")

    assert card_text(empty).splitlines() == ["0 issues", "  Nothing matches."]
    assert card_text(notice_card("No access to SEC.")) == "No access to SEC."


def test_control_characters_and_line_breaks_from_upstream_never_reach_the_terminal() -> None:
    card = Card(
        kind="jira_issue",
        title=f"OPS-9: {ESCAPE}owned\nsecond line",
        fields=[CardField(label="Status", value=f"Done{ESCAPE}")],
        rows=[CardRow(key="OPS-1", text="bell\x07", detail=f"{ESCAPE}x")],
    )

    text = card_text(card)

    assert "\x1b" not in text and "\x07" not in text
    assert text.splitlines()[0] == "OPS-9: [2Jowned second line"


def test_in_the_terminal_a_log_is_printed_line_by_line_without_control_characters() -> None:
    card = github_log_card(JobLog(repo="acme/payments", job_id=7, lines=["one", "two\x07"]))
    assert card_text(card).splitlines()[1:] == ["  | one", "  | two"]


def rendered(card: Card) -> str:
    console = Console(file=io.StringIO(), force_terminal=False, width=100)
    console.print(card_table(card))
    return console.file.getvalue()  # type: ignore[attr-defined, no-any-return]


def test_on_a_terminal_fields_and_rows_are_tables() -> None:
    card = Card(
        kind="jira_list",
        title="OPS-2: Roll out payments v2",
        url="https://acme.atlassian.net/browse/OPS-2",
        fields=[CardField(label="Status", value="Blocked"), CardField(label="Assignee", value="Fox Mulder")],
        rows_heading="Links",
        rows=[CardRow(key="OPS-1", text="Retry fix", detail="In Progress", prefix="🔴")],
        query="project = OPS",
        next_page=NextPage(jql="project = OPS", token="t2"),
    )

    lines = [line.rstrip() for line in rendered(card).splitlines()]

    assert lines[:2] == ["OPS-2: Roll out payments v2", "https://acme.atlassian.net/browse/OPS-2"]
    assert re.fullmatch(r"│ Status +│ Blocked +│", lines[3]) and re.fullmatch(
        r"│ Assignee +│ Fox Mulder +│", lines[4]
    )
    assert "Links" in lines and any(re.search(r"🔴 +OPS-1 +Retry fix +In Progress", line) for line in lines)
    assert lines[-2:] == ["query: project = OPS", "(/more for the next page)"]


def test_on_a_terminal_a_notice_is_its_text_a_log_a_box_and_no_control_character_gets_through() -> None:
    log = github_log_card(JobLog(repo="acme/payments", job_id=7, lines=["one", f"two{ESCAPE}"]))
    hostile = Card(
        kind="jira_issue", title=f"OPS-9: {ESCAPE}owned", fields=[CardField(label="S", value="bell\x07")]
    )

    assert rendered(notice_card("No access to SEC.")) == "No access to SEC.\n"
    assert "│ one │\n│ two │" in rendered(log)
    assert "OPS-9: [2Jowned" in rendered(hostile) and "bell" in rendered(hostile)
    assert "\x1b" not in rendered(hostile) and "\x07" not in rendered(hostile)
