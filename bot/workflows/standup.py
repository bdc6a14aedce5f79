"""`/standup`: fetch what a team needs to hear about, concurrently, and have the model write the digest.

Every source is read at the same time (one ``asyncio.TaskGroup``): in-progress and blocked Jira
issues, and per repository the open pull requests and the default branch's workflow runs. A
source that fails becomes a line in ``DigestFacts.problems`` instead of failing the digest. The
facts then go to the drafter, which returns a validated `Digest`. A digest someone asked for is a
run of theirs, recorded with its LLM requests, so ``chatops runs`` and ``chatops usage`` price it.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot.agent import Drafter, DraftRequest
from bot.errors import InputRejected
from bot.events import Failed, LlmStep, Usage
from bot.store import Asker, Store
from bot.text import explain
from bot.workflows.digest import (
    INSTRUCTIONS,
    OUTPUT_TOOL,
    Digest,
    DigestFacts,
    DigestScope,
    FailingRun,
    check_digest,
    parse_time,
)
from bot.workflows.recorder import RunRecorder, paid_for
from integrations.errors import ChatOpsError, UpstreamError
from integrations.github.models import (
    FAILED_CONCLUSIONS,
    PullRequestList,
    PullSummary,
    Repository,
    WorkflowRun,
    WorkflowRunList,
)
from integrations.jira.models import JiraSearchHit, JiraSearchResult

USAGE = "Usage: `/standup [PROJECT | owner/repo | team ...]`, e.g. `/standup OPS acme/payments`."
# A digest's run belongs to its channel, not to the thread it is posted in: a stored thread would
# make every reply under a digest a question to the bot.
CHANNEL_LEVEL = ""
REVIEW_WAIT = timedelta(days=1)
ISSUE_LIMIT = 15
PULL_LIMIT = 50
RUN_LIMIT = 20

_PROJECT = re.compile(r"^[A-Z][A-Z0-9_]{1,9}$")
_REPO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$")

Clock = Callable[[], datetime]


class IssueSearch(Protocol):
    async def search(
        self, jql: str, limit: int = 20, *, page_token: str | None = None
    ) -> JiraSearchResult: ...


class RepoActivity(Protocol):
    async def repository(self, repo: str) -> Repository: ...

    async def list_pull_requests(
        self, repo: str, *, state: str = "open", limit: int = 20
    ) -> PullRequestList: ...

    async def workflow_runs(
        self, repo: str, *, branch: str | None = None, head_sha: str | None = None, limit: int = 10
    ) -> WorkflowRunList: ...


@dataclass(frozen=True, slots=True)
class StandupResult:
    digest: Digest
    facts: DigestFacts
    usage: Usage = Usage()
    llm_steps: tuple[LlmStep, ...] = ()
    run_id: str | None = None  # the recorded run, when someone asked for the digest


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Standup:
    """Builds digests; ``teams`` maps a team name to the projects and repositories it means."""

    jira: IssueSearch | None
    github: RepoActivity | None
    drafter: Drafter
    default_scope: DigestScope = DigestScope()
    teams: dict[str, DigestScope] = field(default_factory=dict)
    clock: Clock = utc_now
    store: Store | None = None  # where digests asked for are recorded as runs

    def scope(self, text: str) -> DigestScope:
        """The scope `/standup <text>` asks for; raises InputRejected for words it cannot place."""
        projects: list[str] = []
        repos: list[str] = []
        for word in text.replace(",", " ").split():
            team = self.teams.get(word.lower())
            if team is not None:
                projects += team.projects
                repos += team.repos
            elif _PROJECT.match(word):  # keys in capitals, so "the" is never a project
                projects.append(word)
            elif _REPO.match(word):
                repos.append(word.lower())
            else:
                raise InputRejected(f"I don't know the project, repository or team {word[:40]!r}. {USAGE}")
        if not projects and not repos:
            if not (self.default_scope.projects or self.default_scope.repos):
                raise InputRejected(f"Say which project or repository the standup is for. {USAGE}")
            return self.default_scope
        return DigestScope(tuple(dict.fromkeys(projects)), tuple(dict.fromkeys(repos)))

    async def run(self, scope: DigestScope, asker: Asker | None = None) -> StandupResult:
        """Fetch the facts and draft the digest; raises DraftRejected or an UpstreamError of the LLM.

        With ``asker`` the digest is recorded as their run in their channel (``CHANNEL_LEVEL``).
        """
        if asker is None or self.store is None:
            return await self.draft(scope)
        recorder = await _started_run(self.store, asker)
        try:
            result = await self.draft(scope)
        except Exception as exc:  # the run's failure, recorded; saying it is the caller's
            retryable = isinstance(exc, ChatOpsError) and exc.retryable
            await recorder.record(Failed(explain(exc), retryable, llm_steps=paid_for(exc)))
            raise
        usage = await recorder.finish("succeeded", result.usage, result.llm_steps)
        return replace(result, usage=usage, run_id=recorder.run_id)

    async def draft(self, scope: DigestScope) -> StandupResult:
        """The digest of ``scope``, not recorded."""
        facts = await self.facts(scope)
        if facts.empty:
            return StandupResult(quiet_digest(facts), facts)
        drafted = await self.drafter.draft(
            DraftRequest(
                output=Digest,
                tool_name=OUTPUT_TOOL,
                instructions=INSTRUCTIONS,
                task=f"Write the standup digest for {scope.label} as of {facts.as_of:%Y-%m-%d %H:%M} UTC.",
                facts=facts.as_context(),
                check=lambda digest: check_digest(facts, digest),
            )
        )
        return StandupResult(drafted.value, facts, drafted.usage, drafted.llm_steps)

    async def facts(self, scope: DigestScope) -> DigestFacts:
        """Every source read concurrently; each failure noted, none fatal."""
        facts = DigestFacts(scope=scope, as_of=self.clock())
        async with asyncio.TaskGroup() as group:
            if scope.projects or not scope.repos:
                group.create_task(self._issues(facts, '"In Progress"', facts.in_progress))
                group.create_task(self._issues(facts, "Blocked", facts.blocked))
            for repo in scope.repos:
                group.create_task(self._waiting_pulls(facts, repo))
                group.create_task(self._failing_ci(facts, repo))
        return facts

    async def _issues(self, facts: DigestFacts, status: str, into: list[JiraSearchHit]) -> None:
        if self.jira is None:
            _note(facts, "Jira is not configured")
            return
        jql = f"status = {status} ORDER BY updated DESC"
        if facts.scope.projects:
            jql = f"project in ({', '.join(facts.scope.projects)}) AND {jql}"
        try:
            result = await self.jira.search(jql, ISSUE_LIMIT)
        except UpstreamError as exc:
            _note(facts, f"Jira ({status.strip(chr(34))}): {explain(exc)}")
            return
        into.extend(result.issues)

    async def _waiting_pulls(self, facts: DigestFacts, repo: str) -> None:
        if self.github is None:
            _note(facts, "GitHub is not configured")
            return
        try:
            pulls = await self.github.list_pull_requests(repo, state="open", limit=PULL_LIMIT)
        except UpstreamError as exc:
            _note(facts, f"GitHub {repo} pull requests: {explain(exc, subject=repo)}")
            return
        facts.waiting_for_review.extend(pr for pr in pulls.items if waiting_too_long(pr, facts.as_of))

    async def _failing_ci(self, facts: DigestFacts, repo: str) -> None:
        if self.github is None:
            return  # said once already by _waiting_pulls
        try:
            branch = (await self.github.repository(repo)).default_branch
            runs = await self.github.workflow_runs(repo, branch=branch, limit=RUN_LIMIT)
        except UpstreamError as exc:
            _note(facts, f"GitHub {repo} CI: {explain(exc, subject=repo)}")
            return
        facts.failing_ci.extend(failing_runs(repo, branch, runs.items))


def waiting_too_long(pr: PullSummary, as_of: datetime) -> bool:
    """Open, not a draft, a review requested, and opened more than a day ago."""
    opened = parse_time(pr.created_at)
    return pr.awaiting_review and opened is not None and as_of - opened > REVIEW_WAIT


def failing_runs(repo: str, branch: str, runs: Sequence[WorkflowRun]) -> list[FailingRun]:
    """The latest completed run of each workflow (newest first as listed), where it failed."""
    latest: dict[str, WorkflowRun] = {}
    for run in runs:
        if run.status == "completed" and run.name not in latest:
            latest[run.name] = run
    return [
        FailingRun(repo, branch, run.name, run.conclusion or "", run.url, run.created_at)
        for run in latest.values()
        if run.conclusion in FAILED_CONCLUSIONS
    ]


def quiet_digest(facts: DigestFacts) -> Digest:
    """The digest when nothing is in progress, blocked, waiting or failing: no model needed."""
    return Digest(
        title=f"Standup · {facts.scope.label}",
        summary="Nothing in progress, blocked, waiting for review or failing on the default branch.",
    )


async def _started_run(store: Store, asker: Asker) -> RunRecorder:
    conversation = await store.open_conversation(asker.team_id, asker.channel, CHANNEL_LEVEL)
    run_id = await store.create_run(conversation, trigger="workflow", user_id=asker.user_id)
    await store.mark_running(run_id)
    return RunRecorder(store, run_id)


def _note(facts: DigestFacts, problem: str) -> None:
    if problem not in facts.problems:
        facts.problems.append(problem)
