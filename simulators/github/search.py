"""The SIMULATED GitHub's issue search: free words plus the qualifiers the demo needs.

Scope qualifiers (``repo:``, ``org:``, ``user:``) are alternatives, as on GitHub: an item
matches when it is in any of the named places. Every other qualifier must hold.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

SCOPE_QUALIFIERS = frozenset({"repo", "org", "user"})


class Search:
    """A parsed ``q``: free words (all must appear in title or body) and qualifiers."""

    def __init__(self, words: list[str], qualifiers: list[tuple[str, str]]) -> None:
        self.words = words
        self.qualifiers = qualifiers
        self.repos = [value.lower() for key, value in qualifiers if key == "repo"]

    @classmethod
    def parse(cls, query: str) -> Search:
        try:
            parts = shlex.split(query)
        except ValueError:
            parts = query.split()
        words: list[str] = []
        qualifiers: list[tuple[str, str]] = []
        for part in parts:
            key, sep, value = part.strip("()").partition(":")
            if sep and value and key.isalpha():
                qualifiers.append((key.lower(), value))
            elif part not in ("OR", "AND"):
                words.extend(re.findall(r"\w+", part.lower()))
        return cls(words, qualifiers)

    def matches(self, repo: dict[str, Any], item: dict[str, Any]) -> bool:
        text = set(re.findall(r"\w+", f"{item['title']} {item.get('body', '')}".lower()))
        if not all(word in text for word in self.words):
            return False
        scopes = [(key, value) for key, value in self.qualifiers if key in SCOPE_QUALIFIERS]
        others = [(key, value) for key, value in self.qualifiers if key not in SCOPE_QUALIFIERS]
        if scopes and not any(_holds(key, value, repo, item) for key, value in scopes):
            return False
        return all(_holds(key, value, repo, item) for key, value in others)


def _holds(key: str, value: str, repo: dict[str, Any], item: dict[str, Any]) -> bool:
    value = value.lower()
    owner = repo["full_name"].split("/")[0].lower()
    facts: dict[str, set[str]] = {
        "repo": {repo["full_name"].lower()},
        "org": {owner},
        "user": {owner},
        "is": {
            "pr" if item["kind"] == "pull" else "issue",
            item["state"],
            "merged" if item.get("merged") else "unmerged",
            "draft" if item.get("draft") else "ready",
        },
        "type": {"pr" if item["kind"] == "pull" else "issue"},
        "state": {item["state"]},
        "author": {item["author"].lower()},
        "label": {label.lower() for label in item.get("labels", [])},
        "assignee": {login.lower() for login in item.get("assignees", [])},
    }
    if key not in facts:
        return True  # qualifiers the simulator does not model (in:, sort:, ...) do not filter
    aliases = {"pull-request": "pr", "pull_request": "pr"}
    return aliases.get(value, value) in facts[key]
