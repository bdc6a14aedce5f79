"""Which URLs from Jira and GitHub may become links in what the bot shows.

Everything a card carries is untrusted; a URL becomes a link or a button only when its host is
the configured Jira site or the GitHub web host, so an issue body cannot plant a link elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

URL_CHARS = 3000  # Slack's limit on a URL in a button or link


@dataclass(frozen=True)
class LinkPolicy:
    """The hosts whose URLs may become links: the Jira site and the GitHub web host."""

    hosts: frozenset[str]

    @classmethod
    def for_sites(cls, *, jira_base_url: str | None, github_api_url: str | None) -> LinkPolicy:
        hosts = {_host(jira_base_url)} if jira_base_url else set()
        if github_api_url:
            hosts.add(github_web_host(github_api_url))
        return cls(frozenset(host for host in hosts if host))

    def allows(self, url: str) -> bool:
        if not url or len(url) > URL_CHARS:
            return False
        parts = urlsplit(url)
        return parts.scheme in ("https", "http") and _host(url) in self.hosts and not parts.username


def github_web_host(api_url: str) -> str:
    """Where GitHub's ``html_url`` links point for an API base URL.

    GitHub Enterprise Server serves its API at ``https://HOST/api/v3`` and its pages at HOST;
    any other base (api.github.com, or a proxy or simulator standing in for it) serves
    github.com's data, whose pages are on github.com.
    """
    parts = urlsplit(api_url)
    if parts.path.rstrip("/").endswith("/api/v3"):
        return (parts.hostname or "").lower()
    return "github.com"


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""
