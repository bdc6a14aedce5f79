"""Which links the bot unfurls: issue pages on the Jira site, PR and issue pages on the GitHub host."""

from __future__ import annotations

import pytest

from bot.lookup.links import GitHubLink, JiraLink, LinkReader, Unfurler, host_of
from integrations.github import GitHubClient
from integrations.jira import JiraClient

CLOUD = LinkReader.for_sites(
    jira_base_url="https://acme.atlassian.net", github_api_url="https://api.github.com"
)
ENTERPRISE = LinkReader.for_sites(
    jira_base_url="https://jira.acme.internal:8443/jira", github_api_url="https://ghe.acme.internal/api/v3"
)


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("https://acme.atlassian.net/browse/OPS-2", JiraLink("OPS-2")),
        ("https://ACME.atlassian.net/browse/OPS-2/", JiraLink("OPS-2")),
        ("https://acme.atlassian.net/browse/OPS-2?focusedCommentId=10001", JiraLink("OPS-2")),
        (
            "https://acme.atlassian.net/jira/software/projects/OPS/boards/1?selectedIssue=OPS-7",
            JiraLink("OPS-7"),
        ),
        ("https://github.com/acme/payments/pull/42", GitHubLink("acme/payments", 42, "pull")),
        ("https://github.com/acme/payments/pull/42/files#diff-1", GitHubLink("acme/payments", 42, "pull")),
        ("https://github.com/acme/payments/issues/7", GitHubLink("acme/payments", 7, "issues")),
    ],
)
def test_cloud_links(url: str, target: JiraLink | GitHubLink) -> None:
    assert CLOUD.target(url) == target


@pytest.mark.parametrize(
    "url",
    [
        "https://other.atlassian.net/browse/OPS-2",  # another Jira site
        "https://acme.atlassian.net:444/browse/OPS-2",  # another port is another site
        "https://acme.atlassian.net/browse/ops",  # not a key
        "https://acme.atlassian.net/projects/OPS",
        "https://acme.atlassian.net/jira/boards/1?selectedIssue=DROP TABLE",
        "https://github.com/acme/payments",
        "https://github.com/acme/payments/blob/main/README.md",
        "https://github.com/acme/payments/pull/0",
        "https://gist.github.com/acme/payments/pull/1",
        "https://user:pass@github.com/acme/payments/pull/42",  # userinfo: not a link we trust
        "javascript://github.com/acme/payments/pull/42",
        "https://github.com:bad/acme/payments/pull/42",
        "https://github.com/acme/payments/pull/42" + "x" * 3000,
    ],
)
def test_links_that_are_not_ours(url: str) -> None:
    assert CLOUD.target(url) is None


def test_enterprise_hosts_come_from_the_configured_urls() -> None:
    assert ENTERPRISE.target("https://jira.acme.internal:8443/jira/browse/PAY-1") == JiraLink("PAY-1")
    assert ENTERPRISE.target("https://ghe.acme.internal/acme/api/pull/3") == GitHubLink("acme/api", 3, "pull")
    assert ENTERPRISE.target("https://github.com/acme/api/pull/3") is None


def test_host_of_keeps_only_a_non_default_port() -> None:
    assert [host_of(u) for u in ("https://A.example:443/x", "http://a.example:8080", "nonsense", "")] == [
        "a.example",
        "a.example:8080",
        "",
        "",
    ]


async def test_targets_are_unique_capped_and_only_for_configured_services() -> None:
    jira = JiraClient.create("https://acme.atlassian.net", email="a@b.c", api_token="t")
    github_only = Unfurler(None, None, reader=CLOUD, max_links=2)
    both = Unfurler(jira, None, reader=CLOUD, max_links=2)
    urls = [
        "https://github.com/acme/payments/pull/1",
        "https://acme.atlassian.net/browse/OPS-1",
        "https://acme.atlassian.net/browse/OPS-1",
        "https://acme.atlassian.net/browse/OPS-2",
        "https://acme.atlassian.net/browse/OPS-3",
    ]

    assert github_only.targets(urls) == {}
    assert list(both.targets(urls)) == [urls[1], urls[3]]
    await jira.aclose()


async def test_no_links_means_no_requests_and_no_unfurls() -> None:
    github = GitHubClient.create("https://api.github.com", token="ghp_x")
    unfurler = Unfurler(None, github, reader=CLOUD)
    try:
        assert await unfurler.cards(["https://example.com/a", "https://github.com/acme"]) == {}
    finally:
        await github.aclose()
