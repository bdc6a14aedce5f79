"""The direct commands: `/jira KEY | JQL | text | count | transitions | projects` and
`/gh owner/repo#N | owner/repo | query | compare | runs | jobs | log`.

No LLM is involved except for words in `/jira` (a search or `count`), which an injected
``JqlTranslator`` turns into JQL first. Each command reads the upstream once (per card) and
answers with a ``Card``; upstream failures become a notice card with one human sentence, so
callers (Slack, the console) only ever render cards. The same clients serve the agent's tools,
one command per tool (tests/bot/lookup/test_tool_commands.py keeps it so); allowlists are enforced in
the clients. What an argument asks for is decided by ``bot.lookup.request``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Protocol, assert_never

from bot.lookup.actions import github_jobs_card, github_log_card, github_runs_card
from bot.lookup.cards import (
    Card,
    NextPage,
    github_compare_card,
    github_issue_card,
    github_pull_card,
    github_review_queue_card,
    github_search_card,
    jira_count_card,
    jira_issue_card,
    jira_list_card,
    jira_projects_card,
    jira_transitions_card,
    notice_card,
)
from bot.lookup.request import (
    GitHubCompare,
    GitHubItem,
    GitHubJobs,
    GitHubLog,
    GitHubQuery,
    GitHubRepo,
    GitHubRequest,
    GitHubRuns,
    JiraCount,
    JiraJql,
    JiraKey,
    JiraProjects,
    JiraRequest,
    JiraTransitions,
    JiraWords,
    Usage,
    parse_github,
    parse_jira,
)
from bot.text import explain
from integrations.errors import ChatOpsError, NotFound
from integrations.github import GitHubClient
from integrations.jira import JiraClient

log = logging.getLogger(__name__)

PAGE_SIZE = 10
REVIEW_QUEUE_SIZE = 30
RUNS_SIZE = 10
LOG_LINES = 40
NO_TRANSLATION = (
    "I couldn't turn that into JQL. Try a key (`/jira OPS-123`) or JQL such as "
    '`/jira project = OPS AND text ~ "payments"`.'
)
NO_JIRA = "Jira is not configured for this bot."
NO_GITHUB = "GitHub is not configured for this bot."


class JqlTranslator(Protocol):
    """Turns words into JQL (bot.agent.jql_translator implements it); the Jira client scopes it."""

    async def to_jql(self, text: str) -> str: ...


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
        request = parse_jira(text)
        if isinstance(request, Usage):
            return notice_card(request.text)
        if self._jira is None:
            return notice_card(NO_JIRA)
        return await self._answer_jira(self._jira, request)

    async def jira_page(self, page: NextPage) -> Card:
        """The next page of a Jira list (the "More" button)."""
        if self._jira is None:
            return notice_card(NO_JIRA)
        return await _guarded(self._jira_search(self._jira, page.jql, page.token))

    async def github(self, text: str) -> Card:
        request = parse_github(text)
        if isinstance(request, Usage):
            return notice_card(request.text)
        if self._github is None:
            return notice_card(NO_GITHUB)
        return await self._answer_github(self._github, request)

    async def _answer_jira(self, jira: JiraClient, request: JiraRequest) -> Card:
        match request:
            case JiraKey(key):
                return await _guarded(_jira_issue(jira, key), subject=key)
            case JiraJql(jql):
                return await _guarded(self._jira_search(jira, jql, None))
            case JiraWords(words):
                return await _guarded(self._from_words(words, lambda jql: self._jira_search(jira, jql, None)))
            case JiraCount(query, is_jql):
                if is_jql:
                    return await _guarded(_jira_count(jira, query))
                return await _guarded(self._from_words(query, lambda jql: _jira_count(jira, jql)))
            case JiraTransitions(key):
                return await _guarded(_jira_transitions(jira, key), subject=key)
            case JiraProjects():
                return await _guarded(_jira_projects(jira))
            case Usage(usage):
                return notice_card(usage)
        assert_never(request)

    async def _answer_github(self, github: GitHubClient, request: GitHubRequest) -> Card:
        match request:
            case GitHubItem(repo, number):
                return await _guarded(_github_item(github, repo, number), subject=f"{repo}#{number}")
            case GitHubRepo(repo):
                return await _guarded(_review_queue(github, repo), subject=repo)
            case GitHubQuery(query):
                return await _guarded(self._github_search(github, query))
            case GitHubCompare(repo, base, head):
                subject = f"{base}...{head} in {repo}"
                return await _guarded(_compare(github, repo, base, head), subject=subject)
            case GitHubRuns(repo, branch):
                return await _guarded(_runs(github, repo, branch), subject=repo)
            case GitHubJobs(repo, run_id):
                return await _guarded(_jobs(github, repo, run_id), subject=f"Run {run_id} in {repo}")
            case GitHubLog(repo, job_id):
                return await _guarded(_job_log(github, repo, job_id), subject=f"Job {job_id} in {repo}")
            case Usage(usage):
                return notice_card(usage)
        assert_never(request)

    async def _jira_search(self, jira: JiraClient, jql: str, token: str | None) -> Card:
        result = await jira.search(jql, self._page_size, page_token=token)
        return jira_list_card(result, next_token=result.next_page_token)

    async def _from_words(self, text: str, answer: Callable[[str], Awaitable[Card]]) -> Card:
        """Words → JQL by the translator, then ``answer`` with it (a list or a count)."""
        if self._translator is None:
            return notice_card(NO_TRANSLATION)
        try:
            jql = (await self._translator.to_jql(text)).strip()
        except ChatOpsError as exc:
            log.info("could not translate /jira text to JQL (%s)", type(exc).__name__)
            return notice_card(explain(exc))
        if not jql:
            return notice_card(NO_TRANSLATION)
        return await answer(jql)

    async def _github_search(self, github: GitHubClient, query: str) -> Card:
        return github_search_card(await github.search_issues(query, self._page_size))


# -- one read per card ---------------------------------------------------------------------


async def _jira_issue(jira: JiraClient, key: str) -> Card:
    return jira_issue_card(await jira.get_issue(key))


async def _jira_count(jira: JiraClient, jql: str) -> Card:
    scoped = jira.scoped_jql(jql)  # what count() sends; shown so the list is one command away
    return jira_count_card(scoped, await jira.count(jql), estimate=jira.counts_are_estimates)


async def _jira_transitions(jira: JiraClient, key: str) -> Card:
    return jira_transitions_card(key, jira.browse_url(key), await jira.transitions(key))


async def _jira_projects(jira: JiraClient) -> Card:
    return jira_projects_card(await jira.projects())


async def _github_item(github: GitHubClient, repo: str, number: int) -> Card:
    # Most /gh items are pull requests; an issue number answers 404 on /pulls, then is an issue.
    try:
        return github_pull_card(await github.get_pull_request(repo, number))
    except NotFound:
        return github_issue_card(await github.get_issue(repo, number))


async def _review_queue(github: GitHubClient, repo: str) -> Card:
    pulls = await github.list_pull_requests(repo, state="open", limit=REVIEW_QUEUE_SIZE)
    return github_review_queue_card(repo, pulls.items)


async def _compare(github: GitHubClient, repo: str, base: str, head: str) -> Card:
    return github_compare_card(await github.compare(repo, base, head))


async def _runs(github: GitHubClient, repo: str, branch: str | None) -> Card:
    return github_runs_card(await github.workflow_runs(repo, branch=branch, limit=RUNS_SIZE), branch=branch)


async def _jobs(github: GitHubClient, repo: str, run_id: int) -> Card:
    return github_jobs_card(await github.run_jobs(repo, run_id))


async def _job_log(github: GitHubClient, repo: str, job_id: int) -> Card:
    return github_log_card(await github.job_log_tail(repo, job_id, lines=LOG_LINES))


async def _guarded(answer: Awaitable[Card], *, subject: str = "") -> Card:
    """Await ``answer``; an error the integrations raise on purpose becomes a notice card."""
    try:
        return await answer
    except ChatOpsError as exc:
        return notice_card(explain(exc, subject=subject))
