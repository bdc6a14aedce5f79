"""A standup digest as terminal text: summary, sections of items with their links, what could not be read."""

from __future__ import annotations

from bot.console.digest import digest_text
from bot.workflows.digest import Digest, DigestItem, DigestSection

DIGEST = Digest(
    title="Standup · OPS",
    summary="One blocker.",
    sections=[
        DigestSection(
            title="Blocked",
            items=[
                DigestItem(text="OPS-2 · waits on OPS-1", url="https://acme.atlassian.net/browse/OPS-2"),
                DigestItem(text="OPS-7 · no owner"),
            ],
        )
    ],
)


def test_each_section_lists_its_items_with_their_links() -> None:
    assert digest_text(DIGEST).splitlines() == [
        "Standup · OPS",
        "  One blocker.",
        "  Blocked:",
        "    • OPS-2 · waits on OPS-1  https://acme.atlassian.net/browse/OPS-2",
        "    • OPS-7 · no owner",
    ]


def test_sources_that_could_not_be_read_are_named_last() -> None:
    text = digest_text(Digest(title="Standup"), problems=["GitHub acme/x: not found", "Jira: rate limited"])

    assert text.splitlines() == ["Standup", "  could not read: GitHub acme/x: not found; Jira: rate limited"]


def test_model_text_cannot_move_the_cursor_or_break_lines() -> None:
    digest = Digest(
        title="Standup\x1b[2J",
        summary="line one\nline two\x07",
        sections=[DigestSection(title="In progress", items=[DigestItem(text="OPS-1\x1b[1A up")])],
    )

    text = digest_text(digest, problems=["bad\x1b[0m"])

    assert "\x1b" not in text and "\x07" not in text
    assert text.splitlines()[1] == "  line one line two"
