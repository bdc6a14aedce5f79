"""Jira wiki markup (Data Center) -> Markdown."""

from __future__ import annotations

import pytest

from integrations.jira.wiki import wiki_to_markdown


@pytest.mark.parametrize(
    ("wiki", "markdown"),
    [
        ("h2. Impact", "**Impact**"),
        ("Rollout is *paused* now", "Rollout is **paused** now"),
        ("a*b*c and 2 * 3 * 4", "a*b*c and 2 * 3 * 4"),  # not emphasis
        ("see {{OPS-1}}", "see `OPS-1`"),
        (
            "[the PR|https://github.com/acme/payments/pull/42]",
            "[the PR](https://github.com/acme/payments/pull/42)",
        ),
        ("[https://example.com/x]", "https://example.com/x"),
        ("ask [~fmulder]", "ask @fmulder"),
        ("{color:red}hot{color}", "hot"),
        ("bq. quoted", "> quoted"),
        ("----", "---"),
        ("line one\\\\line two", "line one\nline two"),
    ],
)
def test_inline_and_single_line_markup(wiki: str, markdown: str) -> None:
    assert wiki_to_markdown(wiki) == markdown


def test_nested_bullets_and_numbered_lists_restart_after_text() -> None:
    wiki = "* one\n** nested\n* two\n# first\n# second\n## deeper\n# third\ntext\n# again"

    assert wiki_to_markdown(wiki) == (
        "• one\n  • nested\n• two\n1. first\n2. second\n  1. deeper\n3. third\ntext\n1. again"
    )


def test_code_and_noformat_blocks_are_copied_verbatim() -> None:
    wiki = "{code:python}\nx = *1*  # [not|a link]\n{code}\n{noformat}\n* raw\n{noformat}"

    assert wiki_to_markdown(wiki) == "```python\nx = *1*  # [not|a link]\n```\n```\n* raw\n```"


def test_an_unclosed_code_block_is_closed() -> None:
    assert wiki_to_markdown("{code}\nprint(1)") == "```\nprint(1)\n```"


def test_tables_become_rows_of_cells() -> None:
    assert wiki_to_markdown("||Region||State||\n|eu-west|*paused*|") == "Region | State\neu-west | **paused**"


def test_quote_blocks() -> None:
    assert wiki_to_markdown("{quote}\nfirst\nsecond\n{quote}\nafter") == "> first\n> second\nafter"


def test_output_is_cut_to_max_chars() -> None:
    rendered = wiki_to_markdown("word " * 100, max_chars=20)

    assert len(rendered) <= 20 and rendered.endswith("…")
