"""Jira issues a message mentions (``OPS-123``), looked up before the agent runs.

A follow-up such as "and what about OPS-7?" reaches the model with OPS-7 already read, so the
answer starts from the issue instead of spending a tool round on it. The lookups run
concurrently, are capped in number and in time, skip keys outside the project allowlist
before any request, and never fail the run: an issue that cannot be read is simply left out
(the agent can still look it up with its tool and report the error).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from typing import Protocol

from bot.ports import ContextItem
from integrations.errors import ChatOpsError
from integrations.jira.jql import key_allowed
from integrations.jira.models import JiraIssue

log = logging.getLogger(__name__)

MAX_ISSUES = 3
BUDGET_SECONDS = 5.0

_KEY = re.compile(r"(?<![\w-])([A-Z][A-Z0-9_]{1,9})-([1-9]\d{0,8})(?![\w-])")
# Upper-case words followed by a number that are almost never Jira projects.
_NOT_PROJECTS = frozenset("CVE HTTP ISO RFC SHA TLS UTF".split())


class IssueReader(Protocol):
    async def get_issue(self, key: str) -> JiraIssue: ...


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


class MentionedIssues:
    """A ``ContextSource``: the Jira issues a message mentions, read with the Jira client."""

    def __init__(
        self,
        jira: IssueReader,
        *,
        projects: Sequence[str] = (),
        limit: int = MAX_ISSUES,
        budget: float = BUDGET_SECONDS,
    ) -> None:
        self._jira = jira
        self._projects = tuple(projects)
        self._limit = limit
        self._budget = budget

    async def gather(self, text: str) -> tuple[ContextItem, ...]:
        keys = mentioned_keys(text, self._projects, self._limit)
        if not keys:
            return ()
        tasks = [asyncio.create_task(self._read(key)) for key in keys]
        done, pending = await asyncio.wait(tasks, timeout=self._budget)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)
            log.info("left %d mentioned issue(s) out: not read within %.1fs", len(pending), self._budget)
        # In the order the message mentions them, whatever order they finished in.
        return tuple(item for task in tasks if task in done and (item := task.result()) is not None)

    async def _read(self, key: str) -> ContextItem | None:
        try:
            issue = await self._jira.get_issue(key)
        except ChatOpsError as exc:
            log.info("mentioned issue %s left out (%s)", key, type(exc).__name__)
            return None
        except Exception:
            # Context is a courtesy: a bug here is logged, and the agent still answers without it.
            log.exception("reading mentioned issue %s failed", key)
            return None
        return ContextItem(source="jira", name=issue.key, body=issue.model_dump_json())
