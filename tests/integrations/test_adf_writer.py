"""Markdown -> ADF (Jira Cloud) and Markdown -> wiki markup (Data Center): pure functions."""

from __future__ import annotations

from typing import Any

import pytest

from integrations.jira.adf import adf_to_markdown
from integrations.jira.adf_writer import markdown_to_adf
from integrations.jira.wiki_writer import markdown_to_wiki
from simulators.jira import adf_problems


def text(value: str, *marks: dict[str, Any]) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "text", "text": value}
    if marks:
        node["marks"] = list(marks)
    return node


def paragraph(*content: dict[str, Any]) -> dict[str, Any]:
    return {"type": "paragraph", "content": list(content)}


def blocks(markdown: str) -> list[dict[str, Any]]:
    document = markdown_to_adf(markdown)
    assert adf_problems(document) == []  # every output is an ADF doc Jira accepts
    content: list[dict[str, Any]] = document["content"]
    return content


STRONG = {"type": "strong"}
EM = {"type": "em"}
CODE = {"type": "code"}


def link(href: str) -> dict[str, Any]:
    return {"type": "link", "attrs": {"href": href}}


def test_an_empty_text_is_an_empty_doc() -> None:
    assert markdown_to_adf("") == {"type": "doc", "version": 1, "content": []}
    assert markdown_to_adf("  \n\n ") == {"type": "doc", "version": 1, "content": []}


def test_inline_marks() -> None:
    assert blocks("a **b** _c_ *d* ~~e~~ `f` g") == [
        paragraph(
            text("a "),
            text("b", STRONG),
            text(" "),
            text("c", EM),
            text(" "),
            text("d", EM),
            text(" "),
            text("e", {"type": "strike"}),
            text(" "),
            text("f", CODE),
            text(" g"),
        )
    ]


def test_nested_marks_and_links() -> None:
    assert blocks("**see [the runbook](https://wiki.example/rb)**") == [
        paragraph(text("see ", STRONG), text("the runbook", STRONG, link("https://wiki.example/rb")))
    ]


def test_snake_case_and_lone_stars_stay_text() -> None:
    assert blocks("call retry_payment_once and 2 * 3 * 4") == [
        paragraph(text("call retry_payment_once and 2 * 3 * 4"))
    ]


def test_bare_slack_and_markdown_links_but_only_safe_schemes() -> None:
    assert blocks("see https://x.example/a. and <https://y.example|Y> [bad](javascript:alert)") == [
        paragraph(
            text("see "),
            text("https://x.example/a", link("https://x.example/a")),
            text(". and "),
            text("Y", link("https://y.example")),
            text(" [bad](javascript:alert)"),
        )
    ]


def test_code_only_combines_with_links() -> None:
    assert blocks("**`x`**") == [paragraph(text("x", CODE))]


def test_lines_of_a_paragraph_are_hard_breaks_and_blank_lines_split_paragraphs() -> None:
    assert blocks("one\ntwo\n\nthree") == [
        paragraph(text("one"), {"type": "hardBreak"}, text("two")),
        paragraph(text("three")),
    ]


def test_headings_rules_quotes_and_code_blocks() -> None:
    assert blocks("## Steps\n---\n> quoted\n```python\nprint(1)\n\nx = 2\n```\n```\n```") == [
        {"type": "heading", "attrs": {"level": 2}, "content": [text("Steps")]},
        {"type": "rule"},
        {"type": "blockquote", "content": [paragraph(text("quoted"))]},
        {"type": "codeBlock", "attrs": {"language": "python"}, "content": [text("print(1)\n\nx = 2")]},
        {"type": "codeBlock"},  # an empty block has no (empty) text node
    ]


def test_nested_and_ordered_lists() -> None:
    assert blocks("- one\n  - inner\n- two\n  continued\n\n3. third\n4. fourth") == [
        {
            "type": "bulletList",
            "content": [
                {
                    "type": "listItem",
                    "content": [
                        paragraph(text("one")),
                        {
                            "type": "bulletList",
                            "content": [{"type": "listItem", "content": [paragraph(text("inner"))]}],
                        },
                    ],
                },
                {
                    "type": "listItem",
                    "content": [paragraph(text("two"), {"type": "hardBreak"}, text("continued"))],
                },
            ],
        },
        {
            "type": "orderedList",
            "attrs": {"order": 3},
            "content": [
                {"type": "listItem", "content": [paragraph(text("third"))]},
                {"type": "listItem", "content": [paragraph(text("fourth"))]},
            ],
        },
    ]


def test_pipe_tables() -> None:
    (table,) = blocks("| Region | State |\n|---|:---:|\n| eu-west | **paused** |")

    assert table["type"] == "table"
    header, row = table["content"]
    assert [cell["type"] for cell in header["content"]] == ["tableHeader", "tableHeader"]
    assert row["content"][1]["content"] == [paragraph(text("paused", STRONG))]


@pytest.mark.parametrize(
    "markdown",
    [
        "Rollout is **paused** until the [fix](https://github.com/acme/payments/pull/42) lands.",
        "• one\n• two",
        "```\ncode\n```",
    ],
)
def test_what_is_written_reads_back_the_same(markdown: str) -> None:
    assert adf_to_markdown(markdown_to_adf(markdown)) == markdown


def test_wiki_markup_for_data_center() -> None:
    markdown = (
        "## Steps\n\nRetry **twice**, then _stop_: see [runbook](https://wiki.example/rb) and "
        "`retry_once()`.\n\n- one\n  - inner\n1. first\n\n```sh\nmake test\n```\n\n> note\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |"
    )

    assert markdown_to_wiki(markdown) == (
        "h2. Steps\n\n"
        "Retry *twice*, then _stop_: see [runbook|https://wiki.example/rb] and {{retry_once()}}.\n\n"
        "* one\n** inner\n\n"
        "# first\n\n"
        "{code:sh}\nmake test\n{code}\n\n"
        "{quote}\nnote\n{quote}\n\n"
        "||a||b||\n|1|2|"
    )


def test_wiki_markup_escapes_what_would_read_as_formatting() -> None:
    assert markdown_to_wiki("a {macro} [x] -strike- snake_case a-b") == (
        "a \\{macro\\} \\[x\\] \\-strike- snake_case a-b"
    )
