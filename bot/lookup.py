"""The direct commands: `/jira KEY | JQL | text` and `/gh owner/repo#N | owner/repo | query`.

No LLM is involved except for `/jira <free text>`, which an injected ``JqlTranslator`` turns into
JQL first. Each command reads the upstream once (per card) and answers with a ``Card``; upstream
failures become a notice card with one human sentence, so callers (Slack, the console) only
ever render cards. The same clients serve the agent's tools; allowlists are enforced there.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Literal, Protocol

from bot.cards import (
    Card,
    NextPage,
    github_issue_card,
    github_pull_card,
    github_review_queue_card,
    github_search_card,
    jira_issue_card,
    jira_list_card,
    notice_card,
)
from bot.explain import explain
from integrations.errors import ChatOpsError, NotFound
from integrations.github import GitHubClient
from integrations.jira import JiraClient

log = logging.getLogger(__name__)

PAGE_SIZE = 10
REVIEW_QUEUE_SIZE = 30

JIRA_USAGE = (
    'Usage: `/jira OPS-123` for an issue, `/jira project = OPS AND status = "In Progress"` for a '
    "JQL search, or `/jira <words>` to search in plain language."
)
GH_USAGE = (
    "Usage: `/gh owner/repo#42` for a pull request or issue, `/gh owner/repo` for the pull requests "
    "waiting for review, or `/gh <search words>`."
)
NO_TRANSLATION = (
    "I couldn't turn that into JQL. Try a key (`/jira OPS-123`) or JQL such as "
    '`/jira project = OPS AND text ~ "payments"`.'
)


class JqlTranslator(Protocol):
    """Turns words into JQL (bot.agent.jql_translator implements it); the Jira client scopes it."""

    async def to_jql(self, text: str) -> str: ...


# -- what was asked ----------------------------------------------------------------------------

JiraRequestKind = Literal["empty", "key", "jql", "text"]

_ISSUE_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]+-\d+$")
_BROWSE_URL = re.compile(r"^https?://\S+/browse/([A-Za-z][A-Za-z0-9_]+-\d+)/?(?:[?#]\S*)?$")
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"' + r"|'(?:[^'\\]|\\.)*'")
# What only JQL says: comparison operators, list and emptiness tests, history operators, ordering.
_JQL_SIGNS = re.compile(
    r"!=|!~|>=|<=|[=~<>]"
    r"|\b(?:not\s+)?in\s*\("
    r"|\bis\s+(?:not\s+)?(?:empty|null)\b"
    r'|\bwas\s+(?:not\s+)?"|\bchanged\s+(?:to|from|by|during|after|before|on)\b'
    r"|^\s*order\s+by\b|\border\s+by\s+\w+\s*(?:asc|desc)?\s*$",
    re.IGNORECASE,
)


def classify_jira(text: str) -> JiraRequestKind:
    """Is the /jira argument an issue key (or browse URL), JQL, or words for the translator?"""
    stripped = text.strip()
    if not stripped:
        return "empty"
    if _ISSUE_KEY.match(stripped) or _BROWSE_URL.match(stripped):
        return "key"
    # Operators inside quoted values ("a = b" as a phrase) do not make the text JQL.
    unquoted = _QUOTED.sub('""', stripped)
    return "jql" if _JQL_SIGNS.search(unquoted) else "text"


def issue_key(text: str) -> str:
    """The key in ``OPS-2`` or ``https://site/browse/OPS-2``, upper-cased."""
    stripped = text.strip()
    match = _BROWSE_URL.match(stripped)
    return (match.group(1) if match else stripped).upper()


@dataclass(frozen=True)
class GitHubItem:
    repo: str
    number: int


@dataclass(frozen=True)
class GitHubRepo:
    repo: str


@dataclass(frozen=True)
class GitHubQuery:
    query: str


GitHubRequest = GitHubItem | GitHubRepo | GitHubQuery | None

_REPO = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}"
_ITEM = re.compile(rf"^({_REPO})#(\d+)$")
_REPO_ONLY = re.compile(rf"^({_REPO})$")
_ITEM_URL = re.compile(rf"^https?://[^/\s]+/({_REPO})/(?:pull|issues)/(\d+)(?:[/?#]\S*)?$")


def parse_github(text: str) -> GitHubRequest:
    """``owner/repo#N`` (or its URL), ``owner/repo``, anything else is a search; empty is None."""
    stripped = text.strip()
    if not stripped:
        return None
    item = _ITEM.match(stripped) or _ITEM_URL.match(stripped)
    if item:
        return GitHubItem(item.group(1), int(item.group(2)))
    if _REPO_ONLY.match(stripped) and not stripped.endswith((".", "/")):
        return GitHubRepo(stripped)
    return GitHubQuery(stripped)


# -- answering -------------------------------------------------------------------------------


class Lookup:
    """Answers the direct commands with cards, using the same clients as the agent's tools."""

    def __init__(
        self,
        jira: JiraClient | None,
        github: GitHubClient | None,
        *,
        translator: JqlTranslator | None = None,
        page_size: int = PAGE_SIZE,
    ) -> None:
        self._jira = jira
        self._github = github
        self._translator = translator
        self._page_size = page_size

    async def jira(self, text: str) -> Card:
        kind = classify_jira(text)
        if kind == "empty":
            return notice_card(JIRA_USAGE)
        if self._jira is None:
            return notice_card("Jira is not configured for this bot.")
        if kind == "key":
            key = issue_key(text)
            return await _guarded(self._jira_issue(key), subject=key)
        if kind == "jql":
            return await _guarded(self._jira_search(text.strip(), None))
        return await _guarded(self._jira_words(text.strip()))

    async def jira_page(self, page: NextPage) -> Card:
        """The next page of a Jira list (the "More" button)."""
        if self._jira is None:
            return notice_card("Jira is not configured for this bot.")
        return await _guarded(self._jira_search(page.jql, page.token))

    async def github(self, text: str) -> Card:
        request = parse_github(text)
        if request is None:
            return notice_card(GH_USAGE)
        if self._github is None:
            return notice_card("GitHub is not configured for this bot.")
        if isinstance(request, GitHubItem):
            subject = f"{request.repo}#{request.number}"
            return await _guarded(self._github_item(self._github, request), subject=subject)
        if isinstance(request, GitHubRepo):
            return await _guarded(self._review_queue(self._github, request.repo), subject=request.repo)
        return await _guarded(self._github_search(self._github, request.query))

    async def _jira_issue(self, key: str) -> Card:
        assert self._jira is not None
        return jira_issue_card(await self._jira.get_issue(key))

    async def _jira_search(self, jql: str, token: str | None, *, title: str = "") -> Card:
        assert self._jira is not None
        result = await self._jira.search(jql, self._page_size, page_token=token)
        return jira_list_card(result, next_token=result.next_page_token, title=title)

    async def _jira_words(self, text: str) -> Card:
        if self._translator is None:
            return notice_card(NO_TRANSLATION)
        try:
            jql = (await self._translator.to_jql(text)).strip()
        except ChatOpsError as exc:
            log.info("could not translate /jira text to JQL (%s)", type(exc).__name__)
            return notice_card(explain(exc))
        if not jql:
            return notice_card(NO_TRANSLATION)
        return await self._jira_search(jql, None)

    async def _github_item(self, github: GitHubClient, item: GitHubItem) -> Card:
        # Most /gh items are pull requests; an issue number answers 404 on /pulls, then is an issue.
        try:
            return github_pull_card(await github.get_pull_request(item.repo, item.number))
        except NotFound:
            return github_issue_card(await github.get_issue(item.repo, item.number))

    async def _review_queue(self, github: GitHubClient, repo: str) -> Card:
        pulls = await github.list_pull_requests(repo, state="open", limit=REVIEW_QUEUE_SIZE)
        return github_review_queue_card(repo, pulls.items)

    async def _github_search(self, github: GitHubClient, query: str) -> Card:
        return github_search_card(await github.search_issues(query, self._page_size))


async def _guarded(answer: Awaitable[Card], *, subject: str = "") -> Card:
    """Await ``answer``; an error the integrations raise on purpose becomes a notice card."""
    try:
        return await answer
    except ChatOpsError as exc:
        return notice_card(explain(exc, subject=subject))
