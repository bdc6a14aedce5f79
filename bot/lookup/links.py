"""Link unfurls: a Jira issue or GitHub pull request / issue link posted in Slack gets its card.

Slack sends ``link_shared`` for the domains in the manifest's ``unfurl_domains``; this module
turns each link into the same card ``/jira`` and ``/gh`` show (``bot.lookup.cards`` rendered by
the Slack side), read with the same clients. Only links on the configured Jira site and the
GitHub web host are read; a link the clients refuse (outside ``JIRA_PROJECTS`` /
``GITHUB_REPOS``, not found, no access, rate limited) is left alone, so Slack shows its own
preview or none. Nothing here talks to Slack: the listener in ``bot.slack.app`` posts the result.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qs, urlsplit

from bot.lookup.cards import Card, github_issue_card, github_pull_card, jira_issue_card
from bot.lookup.link_policy import github_web_host
from integrations.errors import ChatOpsError
from integrations.github import GitHubClient
from integrations.jira import JiraClient

log = logging.getLogger(__name__)

MAX_LINKS = 5  # Slack sends a handful per message; more would only delay the first cards
URL_CHARS = 2000

_JIRA_KEY = r"[A-Z][A-Z0-9_]{1,9}-[1-9]\d{0,8}"
_BROWSE = re.compile(rf"/browse/({_JIRA_KEY})/?$")
_SELECTED = re.compile(rf"^{_JIRA_KEY}$")
_GITHUB_ITEM = re.compile(
    r"^/([A-Za-z0-9][A-Za-z0-9-]{0,38})/([A-Za-z0-9._-]{1,100})/(pull|issues)/([1-9]\d{0,9})(?:/.*)?$"
)


@dataclass(frozen=True)
class JiraLink:
    key: str


@dataclass(frozen=True)
class GitHubLink:
    repo: str
    number: int
    kind: Literal["pull", "issues"]


Target = JiraLink | GitHubLink


@dataclass(frozen=True)
class LinkReader:
    """Which links are ours: issue pages on the Jira site, PR and issue pages on the GitHub host."""

    jira_host: str = ""
    github_host: str = ""

    @classmethod
    def for_sites(cls, *, jira_base_url: str | None, github_api_url: str | None) -> LinkReader:
        return cls(
            jira_host=host_of(jira_base_url or ""),
            github_host=github_web_host(github_api_url) if github_api_url else "",
        )

    def target(self, url: str) -> Target | None:
        if len(url) > URL_CHARS:
            return None
        try:
            parts = urlsplit(url)
            host = _site(parts.hostname, parts.port)  # .port raises for a malformed port
        except ValueError:
            return None
        if parts.scheme not in ("https", "http") or not host or parts.username:
            return None
        if host == self.jira_host:
            return _jira_target(parts.path, parts.query)
        if host == self.github_host:
            return _github_target(parts.path)
        return None


def host_of(url: str) -> str:
    """``https://acme.atlassian.net/`` -> ``acme.atlassian.net``; a non-default port is kept."""
    try:
        parts = urlsplit(url)
        return _site(parts.hostname, parts.port)
    except ValueError:
        return ""


def _site(hostname: str | None, port: int | None) -> str:
    host = (hostname or "").lower()
    return f"{host}:{port}" if host and port not in (None, 80, 443) else host


def _jira_target(path: str, query: str) -> JiraLink | None:
    browse = _BROWSE.search(path)
    if browse:
        return JiraLink(browse.group(1))
    # Board and search pages open an issue in a side panel: .../boards/1?selectedIssue=OPS-2
    selected = parse_qs(query).get("selectedIssue", [])
    if selected and _SELECTED.match(selected[0]):
        return JiraLink(selected[0])
    return None


def _github_target(path: str) -> GitHubLink | None:
    match = _GITHUB_ITEM.match(path)
    if match is None:
        return None
    owner, name, kind, number = match.groups()
    return GitHubLink(f"{owner}/{name}", int(number), "pull" if kind == "pull" else "issues")


class Unfurler:
    """Reads the cards for the links of one ``link_shared`` event (the Slack side renders them)."""

    def __init__(
        self,
        jira: JiraClient | None,
        github: GitHubClient | None,
        *,
        reader: LinkReader,
        max_links: int = MAX_LINKS,
    ) -> None:
        self._jira = jira
        self._github = github
        self._reader = reader
        self._max_links = max_links

    def targets(self, urls: Iterable[str]) -> dict[str, Target]:
        """The links this bot can unfurl, once each, at most ``max_links``."""
        found: dict[str, Target] = {}
        for url in urls:
            target = self._reader.target(url)
            if target is None or url in found or not self._configured(target):
                continue
            found[url] = target
            if len(found) == self._max_links:
                break
        return found

    async def cards(self, urls: Iterable[str]) -> dict[str, Card]:
        """``{url: card}`` for every link whose card could be built."""
        targets = self.targets(urls)
        cards = await asyncio.gather(*(self._card(target) for target in targets.values()))
        return {url: card for url, card in zip(targets, cards, strict=True) if card is not None}

    def _configured(self, target: Target) -> bool:
        return (self._jira if isinstance(target, JiraLink) else self._github) is not None

    async def _card(self, target: Target) -> Card | None:
        try:
            return await self._read(target)
        except ChatOpsError as exc:
            # Out of scope, missing, no access or rate limited: no preview, and no noise in the channel.
            log.info("not unfurling a %s link (%s)", type(target).__name__, type(exc).__name__)
            return None
        except Exception:
            log.exception("building an unfurl failed")
            return None

    async def _read(self, target: Target) -> Card:
        if isinstance(target, JiraLink):
            assert self._jira is not None
            return jira_issue_card(await self._jira.get_issue(target.key))
        assert self._github is not None
        if target.kind == "pull":
            return github_pull_card(await self._github.get_pull_request(target.repo, target.number))
        issue = await self._github.get_issue(target.repo, target.number)
        if issue.is_pull_request:  # /issues/N also serves pull requests; their card says more
            return github_pull_card(await self._github.get_pull_request(target.repo, target.number))
        return github_issue_card(issue)
