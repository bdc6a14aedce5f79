"""Cards as Block Kit: escaped text, links only to the configured sites, within Slack's limits."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.lookup.cards import Card, CardField, CardLink, CardRow, NextPage, notice_card
from bot.lookup.link_policy import LinkPolicy
from bot.slack.blocks.cards import (
    FALLBACK_CHARS,
    FIELD_CHARS,
    MORE_ACTION,
    SECTION_CHARS,
    card_message,
    more_value,
    parse_more_value,
    without_more_button,
)
from tests.bot.slack.blocks.block_kit import breaches, broken_entities, hostile, live_mentions, mrkdwn_texts

JIRA = "https://acme.atlassian.net"
LINKS = LinkPolicy.for_sites(jira_base_url=JIRA, github_api_url="https://api.github.com")


def _all_text(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def _buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def _card(**changes: Any) -> Card:
    base: dict[str, Any] = {
        "kind": "jira_issue",
        "title": "OPS-2: Roll out",
        "url": f"{JIRA}/browse/OPS-2",
        "fields": [CardField(label="Status", value="Blocked")],
        "rows": [CardRow(prefix="is blocked by", key="OPS-1", url=f"{JIRA}/browse/OPS-1", text="Fix")],
        "footer": "Updated 2026-11-20 08:55 UTC",
        "button": CardLink(label="Open in Jira", url=f"{JIRA}/browse/OPS-2"),
    }
    return Card(**{**base, **changes})


def test_an_issue_card_becomes_a_linked_title_fields_rows_context_and_a_button() -> None:
    message = card_message(_card(), LINKS)
    head, rows, context, actions = message.blocks
    assert head["text"]["text"] == f"*<{JIRA}/browse/OPS-2|OPS-2: Roll out>*"
    assert head["fields"] == [{"type": "mrkdwn", "text": "*Status*\nBlocked", "verbatim": True}]
    assert rows["text"]["text"] == f"• is blocked by <{JIRA}/browse/OPS-1|OPS-1> Fix"
    assert context["elements"][0]["text"] == "Updated 2026-11-20 08:55 UTC"
    (button,) = actions["elements"]
    assert button["url"] == f"{JIRA}/browse/OPS-2" and button["text"]["text"] == "Open in Jira"
    assert message.text == "OPS-2: Roll out"


def test_upstream_text_cannot_ping_or_disguise_links() -> None:
    hostile = "<!channel> @here see <https://evil.example|OPS-1> & more"
    card = _card(
        title=hostile,
        fields=[CardField(label="Assignee", value="<@U123>")],
        rows=[CardRow(key="OPS-1", url=f"{JIRA}/browse/OPS-1", text=hostile, detail="@everyone")],
        footer=hostile,
        query='project = OPS AND summary ~ "<!here>"',
    )
    message = card_message(card, LINKS)
    text = _all_text(message.blocks) + message.text
    for live in ("<!channel>", "<!here>", "<@U123>", "<https://evil", "@here", "@everyone"):
        assert live not in text
    assert "&lt;!channel&gt;" in text and "&amp; more" in text


def test_links_and_buttons_only_point_at_the_configured_sites() -> None:
    card = _card(
        url="https://evil.example/browse/OPS-2",
        rows=[CardRow(key="OPS-1", url="https://evil.example/x", text="t")],
        button=CardLink(label="Open", url="https://evil.example/browse/OPS-2"),
    )
    blocks = card_message(card, LINKS).blocks
    assert "evil.example" not in _all_text(blocks)
    assert _buttons(blocks) == []
    github = _card(
        url="https://github.com/acme/payments/pull/42",
        button=CardLink(label="Open", url="https://github.com/acme/payments/pull/42"),
    )
    assert (
        _buttons(card_message(github, LINKS).blocks)[0]["url"] == "https://github.com/acme/payments/pull/42"
    )
    sneaky = _card(url=f"https://user@{JIRA.removeprefix('https://')}/browse/OPS-2", button=None)
    assert "user@" not in _all_text(card_message(sneaky, LINKS).blocks)


def test_a_link_url_cannot_end_the_link_sequence_early() -> None:
    card = _card(url=f"{JIRA}/browse/OPS-2?a=1|x>y", button=None)
    title = card_message(card, LINKS).blocks[0]["text"]["text"]
    assert title == f"*<{JIRA}/browse/OPS-2?a=1%7Cx%3Ey|OPS-2: Roll out>*"


def test_long_text_and_many_rows_stay_within_block_kit_limits() -> None:
    rows = [
        CardRow(key=f"OPS-{n}", url=f"{JIRA}/browse/OPS-{n}", text="x" * 500, detail="y" * 500)
        for n in range(60)
    ]
    card = _card(
        kind="jira_list",
        title="t" * 5000,
        fields=[CardField(label=f"f{n}", value="v" * 5000) for n in range(12)],
        rows=rows,
        query="q" * 5000,
        next_page=NextPage(jql="project = OPS", token="abc"),
    )
    blocks = card_message(card, LINKS).blocks
    assert len(blocks) <= 50
    sections = [b for b in blocks if b["type"] == "section"]
    assert all(len(b["text"]["text"]) <= 3000 for b in sections)
    assert len(sections[0]["fields"]) == 10 and all(len(f["text"]) <= 2000 for f in sections[0]["fields"])
    assert sum(b["text"]["text"].count("• ") for b in sections) == 60, "every row is shown"


def test_more_carries_the_query_and_token_and_can_be_removed_after_a_click() -> None:
    page = NextPage(jql='project = OPS AND status = "In Progress"', token="tok-2")
    card = _card(kind="jira_list", rows=[], empty="none", button=None, next_page=page)
    blocks = card_message(card, LINKS).blocks
    (more,) = _buttons(blocks)
    assert more["action_id"] == MORE_ACTION and parse_more_value(more["value"]) == page
    assert _buttons(without_more_button(blocks)) == []
    assert parse_more_value("not json") is None
    assert more_value(NextPage(jql="x" * 2100, token="t")) is None  # too long for a button value


def test_a_notice_is_one_escaped_section() -> None:
    message = card_message(notice_card("OPS-9 was not found in Jira <@U1>."), LINKS)
    assert message.blocks == [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "OPS-9 was not found in Jira &lt;@U1&gt;.", "verbatim": True},
        }
    ]


@pytest.mark.parametrize(
    "length", [1, 199, 200, 201, 299, 300, 301, 999, 1000, 1001, 1999, 2000, 2001, 3000, 3001]
)
def test_limits_hold_after_escaping_text_full_of_ampersands_and_brackets(length: int) -> None:
    value = hostile(length)
    card = _card(
        kind="jira_list",
        title=value,
        fields=[CardField(label="Description", value=value), CardField(label=value, value=value)],
        rows=[CardRow(prefix=value, key=value, url=f"{JIRA}/browse/OPS-1", text=value, detail=value)],
        rows_heading=value,
        code=value,
        query=value,
        footer=value,
        button=CardLink(label=value, url=f"{JIRA}/browse/OPS-2"),
    )
    message = card_message(card, LINKS)
    assert breaches(message.blocks) == []
    assert len(message.text) <= FALLBACK_CHARS
    for text in [message.text, *mrkdwn_texts(message.blocks)]:
        assert broken_entities(text) == [] and live_mentions(text) == []


@pytest.mark.parametrize("length", [FIELD_CHARS - 20, FIELD_CHARS, FIELD_CHARS + 1, SECTION_CHARS + 1])
def test_a_field_full_of_ampersands_is_clipped_to_the_field_limit_on_a_whole_entity(length: int) -> None:
    card = _card(fields=[CardField(label="Description", value="&" * length)])
    (field,) = card_message(card, LINKS).blocks[0]["fields"]
    head, body = field["text"].split("\n", 1)
    assert head == "*Description*" and len(field["text"]) <= FIELD_CHARS
    assert body.endswith("&amp;…") and body.removesuffix("…").replace("&amp;", "") == ""


def test_empty_notice_and_heading_texts_stay_within_a_section() -> None:
    for card in (
        notice_card(hostile(SECTION_CHARS)),
        _card(kind="jira_list", rows=[], empty=hostile(SECTION_CHARS)),
        _card(kind="jira_list", rows_heading=hostile(SECTION_CHARS)),
    ):
        blocks = card_message(card, LINKS).blocks
        assert breaches(blocks) == []
        assert all(broken_entities(text) == [] for text in mrkdwn_texts(blocks))


def _code_text(card: Card) -> str:
    (code,) = [b for b in card_message(card, LINKS).blocks if "```" in b.get("text", {}).get("text", "")]
    return str(code["text"]["text"])


def test_a_long_log_keeps_its_last_lines_and_no_half_entity() -> None:
    text = _code_text(_card(code="\n".join(["first line", "&" * 5000, "last & line"])))
    assert len(text) <= SECTION_CHARS and broken_entities(text) == []
    assert text == "```\n…\nlast &amp; line\n```"


def test_a_log_line_longer_than_a_section_keeps_its_end_from_a_whole_entity() -> None:
    text = _code_text(_card(code="&" * 5000 + "x"))
    assert len(text) <= SECTION_CHARS
    body = text.removeprefix("```\n…\n").removesuffix("\n```")
    assert body.startswith("&amp;") and body.replace("&amp;", "") == "x"
