"""The repositories the bot may read (GITHUB_REPOS), enforced before any request is sent.

Entries are ``owner/repo`` or ``owner/*``, case-insensitive; no entries means no restriction
(the token's own reach is the limit). A search is scoped too: a query that names a repository
or owner outside the list is refused, and a query that names none gets the list appended as
``repo:``/``user:`` qualifiers. GitHub ORs several such qualifiers, so the appended list keeps
the search inside the allowed set; a query using ``OR`` is parenthesised first, so its
alternatives cannot escape the scope either.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from integrations.errors import PermissionDenied

SERVICE = "github"
_SCOPE_KEYS = frozenset({"repo", "org", "user", "owner"})
_OR = re.compile(r"(^|\s)OR(\s|$)")


class RepoScope:
    """An allowlist of repositories; empty means everything the token can see."""

    def __init__(self, patterns: Collection[str] | None = None) -> None:
        entries = [pattern.strip().lower() for pattern in patterns or () if pattern.strip()]
        self._owners = frozenset(entry[:-2] for entry in entries if entry.endswith("/*"))
        self._repos = frozenset(entry for entry in entries if not entry.endswith("/*"))
        self._entries = tuple(entries)

    @property
    def unrestricted(self) -> bool:
        return not self._entries

    def allows(self, repo: str) -> bool:
        if self.unrestricted:
            return True
        name = repo.strip().lower()
        return name in self._repos or name.split("/")[0] in self._owners

    def allows_owner(self, owner: str) -> bool:
        return self.unrestricted or owner.strip().lower() in self._owners

    def check(self, repo: str) -> None:
        """Raise PermissionDenied unless ``repo`` is allowed."""
        if not self.allows(repo):
            raise PermissionDenied(SERVICE, f"{repo} is not one of the repositories this bot may read")

    def scope_query(self, query: str) -> str:
        """``query`` limited to the allowed repositories, or PermissionDenied if it names others."""
        if self.unrestricted:
            return query
        named = _scope_terms(query)
        for key, value in named:
            allowed = self.allows(value) if key == "repo" else self.allows_owner(value)
            if not allowed:
                raise PermissionDenied(
                    SERVICE, f"the search names {key}:{value}, outside the repositories this bot may read"
                )
        widening = bool(_OR.search(query))
        if named and not widening:
            return query
        body = f"({query})" if widening else query
        return f"{body} {self.qualifiers()}"

    def qualifiers(self) -> str:
        """The allowlist as search qualifiers, e.g. ``repo:acme/payments user:platform``."""
        repos = [f"repo:{repo}" for repo in sorted(self._repos) if repo.split("/")[0] not in self._owners]
        return " ".join([*repos, *(f"user:{owner}" for owner in sorted(self._owners))])


def _scope_terms(query: str) -> list[tuple[str, str]]:
    """Positive ``repo:``/``org:``/``user:``/``owner:`` qualifiers in ``query`` (negated ones narrow)."""
    terms: list[tuple[str, str]] = []
    previous = ""
    for token in query.split():
        negated = token.startswith("-") or previous == "NOT"
        previous = token
        key, sep, value = token.lstrip("-(\"'").partition(":")
        value = value.strip(")\"'")
        if sep and key.lower() in _SCOPE_KEYS and not negated:
            terms.append(("repo" if key.lower() == "repo" else "owner", value))
    return terms
