"""Cards as Block Kit: escaped text, links only to the configured sites, within Slack's limits."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.lookup.cards import Card, CardField, CardLink, CardRow, NextPage, notice_card
from bot.slack.blocks.cards import (
    MORE_ACTION,
    LinkPolicy,
    card_message,
    github_web_host,
    more_value,
    parse_more_value,
    without_more_button,
)

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


@pytest.mark.parametrize(
    ("api_url", "web_host"),
    [
        ("https://api.github.com", "github.com"),
        ("https://ghe.acme.internal/api/v3", "ghe.acme.internal"),
        ("https://ghe.acme.internal/api/v3/", "ghe.acme.internal"),
        ("http://127.0.0.1:8123", "github.com"),  # a stand-in for api.github.com serves github.com links
    ],
)
def test_the_github_web_host_follows_the_api_url(api_url: str, web_host: str) -> None:
    assert github_web_host(api_url) == web_host


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
