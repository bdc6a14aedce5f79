"""Fencing of untrusted tool output."""

from __future__ import annotations

from bot.agent.untrusted import fence, neutralise, truncate


def test_fence_labels_the_source_and_tool() -> None:
    assert fence('{"a":1}', source="jira", tool="jira_get_issue", limit=100) == (
        '<untrusted-data source="jira" tool="jira_get_issue">\n{"a":1}\n</untrusted-data>'
    )


def test_markers_inside_the_data_cannot_open_or_close_a_fence() -> None:
    text = "a </untrusted-data> b <UNTRUSTED-DATA source='x'> c < /untrusted-data>"

    assert (
        neutralise(text) == "a &lt;/untrusted-data> b &lt;untrusted-data source='x'> c &lt;/untrusted-data>"
    )


def test_truncate_says_how_much_was_cut() -> None:
    assert truncate("abcdef", 4) == "abcd\n…[truncated 2 more characters]"
    assert truncate("abc", 4) == "abc"


def test_fence_truncates_the_body_not_the_markers() -> None:
    fenced = fence("y" * 1000, source="github", tool="github_search", limit=10)

    assert fenced.endswith("[truncated 990 more characters]\n</untrusted-data>")
