"""ADF -> Markdown."""

from __future__ import annotations

from typing import Any

import pytest

from integrations.jira.adf import adf_to_markdown
from tests.integrations.conftest import fixture_json


def doc(*content: dict[str, Any]) -> dict[str, Any]:
    return {"type": "doc", "version": 1, "content": list(content)}


def para(*content: dict[str, Any]) -> dict[str, Any]:
    return {"type": "paragraph", "content": list(content)}


def text(value: str, *marks: dict[str, Any]) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "text", "text": value}
    if marks:
        node["marks"] = list(marks)
    return node


def link(href: str) -> dict[str, Any]:
    return {"type": "link", "attrs": {"href": href}}


def item(*content: dict[str, Any]) -> dict[str, Any]:
    return {"type": "listItem", "content": list(content)}


def test_spec_example_issue_renders() -> None:
    issue = fixture_json("jira-issue.json")

    assert adf_to_markdown(issue["fields"]["description"]) == "Main order flow broken"
    assert adf_to_markdown(issue["fields"]["comment"][0]["body"]).startswith("Lorem ipsum dolor sit amet")


def test_plain_string_passes_through() -> None:
    page = fixture_json("jira-search-jql-response.json")

    assert adf_to_markdown(page["issues"][0]["fields"]["description"]) == "Main order flow broken"
    assert adf_to_markdown("h1. Wiki markup\n* item") == "h1. Wiki markup\n* item"


@pytest.mark.parametrize("empty", [None, {}, {"type": "doc", "version": 1, "content": []}, 42])
def test_empty_documents_render_empty(empty: object) -> None:
    assert adf_to_markdown(empty) == ""


def test_paragraphs_headings_and_hard_breaks() -> None:
    document = doc(
        {"type": "heading", "attrs": {"level": 2}, "content": [text("Impact")]},
        para(text("line one"), {"type": "hardBreak"}, text("line two")),
        para(text("next paragraph")),
    )

    assert adf_to_markdown(document) == "**Impact**\nline one\nline two\nnext paragraph"


def test_nested_bullet_and_ordered_lists() -> None:
    document = doc(
        {
            "type": "bulletList",
            "content": [
                item(
                    para(text("regions")),
                    {
                        "type": "orderedList",
                        "attrs": {"order": 3},
                        "content": [item(para(text("eu-west"))), item(para(text("us-east")))],
                    },
                ),
                item(para(text("owner: payments"))),
            ],
        }
    )

    assert adf_to_markdown(document) == "• regions\n  3. eu-west\n  4. us-east\n• owner: payments"


def test_link_marks_show_the_href_only_when_it_adds_something() -> None:
    url = "https://github.com/acme/payments/pull/42"
    document = doc(para(text("the fix", link(url)), text(" and "), text(url, link(url))))

    assert adf_to_markdown(document) == f"[the fix]({url}) and {url}"


def test_emphasis_marks_keep_spaces_outside() -> None:
    document = doc(
        para(
            text("severity "),
            text("high ", {"type": "strong"}),
            text("and "),
            text("rising", {"type": "em"}),
            text(", "),
            text("old plan", {"type": "strike"}),
            text(" "),
            text("x = 1", {"type": "code"}, {"type": "strong"}),
        )
    )

    assert adf_to_markdown(document) == "severity **high** and _rising_, ~~old plan~~ `x = 1`"


def test_code_mark_and_code_block() -> None:
    document = doc(
        para(text("run "), text("make test", {"type": "code"})),
        {"type": "codeBlock", "attrs": {"language": "python"}, "content": [text("retry(key=key)")]},
    )

    assert adf_to_markdown(document) == "run `make test`\n```python\nretry(key=key)\n```"


def test_inline_nodes() -> None:
    document = doc(
        para(
            {"type": "mention", "attrs": {"id": "5f8b", "text": "@Dana Scully"}},
            text(" "),
            {"type": "mention", "attrs": {"id": "5f8c"}},
            text(" "),
            {"type": "emoji", "attrs": {"shortName": ":fire:", "text": "🔥"}},
            {"type": "emoji", "attrs": {"shortName": ":tada:"}},
            text(" "),
            {"type": "status", "attrs": {"text": "IN REVIEW", "color": "blue"}},
            text(" due "),
            {"type": "date", "attrs": {"timestamp": "1764028800000"}},
            text(" see "),
            {"type": "inlineCard", "attrs": {"url": "https://acme.atlassian.net/browse/OPS-1"}},
        )
    )

    assert adf_to_markdown(document) == (
        "@Dana Scully @5f8c 🔥:tada: [IN REVIEW] due 2025-11-25 see https://acme.atlassian.net/browse/OPS-1"
    )


def test_blockquote_rule_media_and_table() -> None:
    document = doc(
        {"type": "blockquote", "content": [para(text("quoted"))]},
        {"type": "rule"},
        {"type": "mediaSingle", "content": [{"type": "media", "attrs": {"id": "abc", "type": "file"}}]},
        {
            "type": "table",
            "content": [
                {
                    "type": "tableRow",
                    "content": [
                        {"type": "tableHeader", "content": [para(text("region"))]},
                        {"type": "tableHeader", "content": [para(text("state"))]},
                    ],
                }
            ],
        },
    )

    assert adf_to_markdown(document) == "> quoted\n---\n[attachment]\nregion | state"


def test_unknown_nodes_render_their_children() -> None:
    document = doc(
        {"type": "panel", "attrs": {"panelType": "warning"}, "content": [para(text("careful"))]},
        {"type": "futureBlock", "content": [para(text("still here"))]},
        para({"type": "futureInline", "content": [text("inline too")]}),
        {"type": "extension", "attrs": {"extensionKey": "x"}},
    )

    assert adf_to_markdown(document) == "careful\nstill here\ninline too"


def test_output_is_cut_to_max_chars() -> None:
    document = doc(para(text("word " * 100)))

    rendered = adf_to_markdown(document, max_chars=50)

    assert len(rendered) <= 50
    assert rendered.endswith("…")
    assert rendered.startswith("word word")
