"""What a message mentions — Jira issues (``OPS-123``), GitHub pull requests or issues
(``owner/repo#42``, or their URLs) and commits (``owner/repo@1a2b3c4``, or their URLs) — looked
up before the agent runs.

A follow-up such as "and what about OPS-7 and acme/payments#42?" reaches the model with both
already read, so the answer starts from them instead of spending a tool round on each. Every
lookup of a message starts at once — Jira's and GitHub's together, not one service after the
other — capped in number and in time; keys outside the project allowlist are skipped before any
request, and a bare SHA, which names no repository, is not read. Nothing here fails the run:
what cannot be read is simply left out (the agent can still look it up with its tool and report
the error).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Coroutine, Sequence
from typing import Any, Protocol

from bot.ports import ContextItem
from integrations.errors import ChatOpsError, NotFound
from integrations.github.models import Commit, GitHubIssue, PullRequest
from integrations.jira.jql import key_allowed
from integrations.jira.models import JiraIssue

log = logging.getLogger(__name__)

MAX_ISSUES = 3
MAX_REFERENCES = 3
MAX_COMMITS = 3
BUDGET_SECONDS = 5.0

_KEY = re.compile(r"(?<![\w-])([A-Z][A-Z0-9_]{1,9})-([1-9]\d{0,8})(?![\w-])")
# Upper-case words followed by a number that are almost never Jira projects.
_NOT_PROJECTS = frozenset("CVE HTTP ISO RFC SHA TLS UTF".split())
_OWNER, _NAME = r"[A-Za-z0-9][A-Za-z0-9-]{0,38}", r"[A-Za-z0-9._-]{1,100}"
# owner/repo#42, or a pull request or issue page: https://<host>/owner/repo/pull/42
_REFERENCE = re.compile(
    rf"(?<![\w/.-])({_OWNER})/({_NAME})#([1-9]\d{{0,9}})\b"
    rf"|https?://[^\s/<>|]+/({_OWNER})/({_NAME})/(?:pull|issues)/([1-9]\d{{0,9}})\b"
)
# owner/repo@1a2b3c4, or a commit page: https://<host>/owner/repo/commit/1a2b3c4
_COMMIT = re.compile(
    rf"(?<![\w/.-])({_OWNER})/({_NAME})@([0-9a-fA-F]{{7,40}})(?![\w-])"
    rf"|https?://[^\s/<>|]+/({_OWNER})/({_NAME})/commit/([0-9a-fA-F]{{7,40}})(?![\w-])"
)


class IssueReader(Protocol):
    async def get_issue(self, key: str) -> JiraIssue: ...


class ItemReader(Protocol):
    """GitHub's side: a pull request, or an issue when the number is not a pull request; a commit."""

    async def get_pull_request(self, repo: str, number: int) -> PullRequest: ...

    async def get_issue(self, repo: str, number: int) -> GitHubIssue: ...

    async def get_commit(self, repo: str, ref: str) -> Commit: ...


def mentioned_references(text: str, limit: int = MAX_REFERENCES) -> list[tuple[str, int]]:
    """The distinct GitHub ``(owner/repo, number)`` references in `text`, in order, at most `limit`."""
    found: list[tuple[str, int]] = []
    for match in _REFERENCE.finditer(text):
        owner, name, number = (
            (match.group(1), match.group(2), match.group(3))
            if match.group(1)
            else (
                match.group(4),
                match.group(5),
                match.group(6),
            )
        )
        reference = (f"{owner}/{name.removesuffix('.git')}", int(number))
        if reference not in found:
            found.append(reference)
        if len(found) == limit:
            break
    return found


def mentioned_commits(text: str, limit: int = MAX_COMMITS) -> list[tuple[str, str]]:
    """The distinct ``(owner/repo, sha)`` commits in `text`, in order, at most `limit`.

    A short SHA and a longer one it begins in the same repository are one commit, read once.
    """
    found: list[tuple[str, str]] = []
    for match in _COMMIT.finditer(text):
        owner, name, sha = match.group(1, 2, 3) if match.group(1) else match.group(4, 5, 6)
        repo, sha = f"{owner}/{name.removesuffix('.git')}", sha.lower()
        if any(repo == seen and (sha.startswith(known) or known.startswith(sha)) for seen, known in found):
            continue
        found.append((repo, sha))
        if len(found) == limit:
            break
    return found


def mentioned_keys(text: str, projects: Sequence[str] = (), limit: int = MAX_ISSUES) -> list[str]:
    """The distinct issue keys in `text`, in order, within the allowlist, at most `limit`."""
    keys: list[str] = []
    for match in _KEY.finditer(text):
        key = f"{match.group(1)}-{match.group(2)}"
        if match.group(1) in _NOT_PROJECTS or key in keys or not key_allowed(key, projects):
            continue
        keys.append(key)
        if len(keys) == limit:
            break
    return keys


class Mentions:
    """A ``ContextSource``: the Jira issues and GitHub items and commits a message mentions, read at once."""

    def __init__(
        self,
        jira: IssueReader | None,
        github: ItemReader | None = None,
        *,
        projects: Sequence[str] = (),
        limit: int = MAX_ISSUES,
        budget: float = BUDGET_SECONDS,
    ) -> None:
        self._jira = jira
        self._github = github
        self._projects = tuple(projects)
        self._limit = limit
        self._budget = budget

    async def gather(self, text: str) -> tuple[ContextItem, ...]:
        reads: list[Coroutine[Any, Any, ContextItem | None]] = []
        if self._jira is not None:
            reads += [
                self._issue(self._jira, key) for key in mentioned_keys(text, self._projects, self._limit)
            ]
        if self._github is not None:
            reads += [self._item(self._github, repo, number) for repo, number in mentioned_references(text)]
            reads += [self._commit(self._github, repo, sha) for repo, sha in mentioned_commits(text)]
        if not reads:
            return ()
        # Every read starts now: no service waits for another's answer.
        tasks = [asyncio.create_task(read) for read in reads]
        done, pending = await asyncio.wait(tasks, timeout=self._budget)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)
            log.info("left %d mention(s) out: not read within %.1fs", len(pending), self._budget)
        # Jira's in the order the message mentions them, then GitHub's items, then its commits,
        # whatever order they finished in.
        return tuple(item for task in tasks if task in done and (item := task.result()) is not None)

    async def _issue(self, jira: IssueReader, key: str) -> ContextItem | None:
        async def read() -> ContextItem:
            issue = await jira.get_issue(key)
            return ContextItem(source="jira", name=issue.key, body=issue.model_dump_json())

        return await _courteously(read(), key)

    async def _item(self, github: ItemReader, repo: str, number: int) -> ContextItem | None:
        async def read() -> ContextItem:
            try:
                item: PullRequest | GitHubIssue = await github.get_pull_request(repo, number)
            except NotFound:  # #42 may be an issue rather than a pull request
                item = await github.get_issue(repo, number)
            return ContextItem(source="github", name=f"{repo}#{number}", body=item.model_dump_json())

        return await _courteously(read(), f"{repo}#{number}")

    async def _commit(self, github: ItemReader, repo: str, sha: str) -> ContextItem | None:
        async def read() -> ContextItem:
            commit = await github.get_commit(repo, sha)
            return ContextItem(source="github", name=f"{repo}@{sha}", body=commit.model_dump_json())

        return await _courteously(read(), f"{repo}@{sha}")


async def _courteously(read: Coroutine[Any, Any, ContextItem], name: str) -> ContextItem | None:
    try:
        return await read
    except ChatOpsError as exc:
        log.info("mentioned %s left out (%s)", name, type(exc).__name__)
        return None
    except Exception:
        # Context is a courtesy: a bug here is logged, and the agent still answers without it.
        log.exception("reading mentioned %s failed", name)
        return None
