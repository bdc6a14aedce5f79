"""Which URLs may become links: only the configured Jira site and the GitHub web host."""

from __future__ import annotations

import pytest

from bot.lookup.link_policy import LinkPolicy, github_web_host

JIRA = "https://acme.atlassian.net"
LINKS = LinkPolicy.for_sites(jira_base_url=JIRA, github_api_url="https://api.github.com")


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


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        (f"{JIRA}/browse/OPS-1", True),
        ("https://github.com/acme/payments/pull/1", True),
        ("https://evil.example/browse/OPS-1", False),
        ("javascript:alert(1)", False),
        ("https://user@acme.atlassian.net/browse/OPS-1", False),  # credentials in a link are a phishing trick
        ("https://acme.atlassian.net/" + "a" * 3000, False),  # over Slack's URL limit
        ("", False),
    ],
)
def test_only_our_hosts_become_links(url: str, allowed: bool) -> None:
    assert LINKS.allows(url) is allowed


def test_no_sites_configured_allows_nothing() -> None:
    assert LinkPolicy.for_sites(jira_base_url=None, github_api_url=None).hosts == frozenset()
    assert not LinkPolicy(frozenset()).allows(f"{JIRA}/browse/OPS-1")
