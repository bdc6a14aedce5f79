"""The structured workflows of a running bot, built once from Settings: /standup (and its
schedules), /triage, and thread → Jira issue. Surfaces (Slack, console) use them; ``aclose``
stops the digest scheduler and releases the drafter's LLM client.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.agent import PydanticDrafter, build_drafter
from bot.config import Settings
from bot.runs import DigestScheduler, Fire, Runs
from bot.store import Schedules, Store
from bot.workflows.ask import ProposalDesk
from bot.workflows.digest import DigestScope
from bot.workflows.drafted_writes import DraftedWrites
from bot.workflows.issue_draft import IssueDrafter
from bot.workflows.standup import Standup
from bot.workflows.triage import Triager
from integrations.github import GitHubClient
from integrations.jira import JiraClient


@dataclass
class Workflows:
    standup: Standup
    schedules: Schedules
    drafted: DraftedWrites
    drafter: PydanticDrafter
    default_project: str | None = None  # for `/jira create` and the thread shortcut
    scheduler: DigestScheduler | None = field(default=None)

    def post_digests_with(self, fire: Fire) -> DigestScheduler:
        """The scheduler, posting through ``fire``; the edge starts it once the runs have started."""
        if self.scheduler is None:
            self.scheduler = DigestScheduler(self.schedules, fire)
        self.scheduler.use(fire)
        return self.scheduler

    async def schedules_changed(self) -> None:
        """A schedule was added or removed here: apply it now rather than at the next re-read."""
        if self.scheduler is not None:
            await self.scheduler.sync()

    async def aclose(self) -> None:
        if self.scheduler is not None:
            await self.scheduler.stop()
        await self.drafter.aclose()


def build_workflows(
    settings: Settings,
    *,
    store: Store,
    runs: Runs,
    desk: ProposalDesk | None,
    jira: JiraClient | None,
    github: GitHubClient | None,
) -> Workflows:
    drafter = build_drafter(
        provider=settings.llm_provider,
        base_url=settings.llm_url,
        api_key=settings.llm_api_key.get_secret_value() if settings.llm_api_key else "",
        model=settings.llm_model,
        timeout=min(60.0, settings.run_timeout_seconds),
        fact_chars=settings.tool_output_chars,
    )
    standup = Standup(
        jira,
        github,
        drafter,
        default_scope=DigestScope(
            tuple(settings.jira_projects), tuple(repo for repo in settings.github_repos if "*" not in repo)
        ),
        teams={name: team_scope(words) for name, words in settings.standup_teams.items()},
        store=store,
    )
    drafted = DraftedWrites(store, runs, desk, IssueDrafter(drafter), Triager(jira, github, drafter))
    default_project = settings.jira_projects[0] if settings.jira_projects else None
    return Workflows(standup, Schedules(store), drafted, drafter, default_project)


def team_scope(words: list[str]) -> DigestScope:
    """A team's projects and repositories from its STANDUP_TEAMS entry (validated by Settings)."""
    return DigestScope(
        tuple(word for word in words if "/" not in word), tuple(word for word in words if "/" in word)
    )
