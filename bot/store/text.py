"""Text as both databases can store it: every stored string from Slack, Jira, GitHub or the LLM
passes through ``clean_text`` first."""

from __future__ import annotations


def clean_text(text: str) -> str:
    """Text as it can be stored: NUL removed (SQLite and PostgreSQL truncate or reject it), lone
    surrogates (possible in Slack's JSON) replaced by U+FFFD, everything else verbatim."""
    text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # Round-tripping through UTF-16 re-pairs split surrogates and replaces lone ones.
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text
