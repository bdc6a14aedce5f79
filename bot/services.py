"""The long-lived parts of a running bot, built once from Settings and closed together."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.agent import build_agent
from bot.config import Settings
from bot.dispatcher import Dispatcher
from bot.intake import Intake
from bot.ports import AgentPort
from bot.store import Store
from integrations.github import GitHubClient
from integrations.jira import JiraClient


@dataclass
class Services:
    settings: Settings
    store: Store
    agent: AgentPort
    dispatcher: Dispatcher
    intake: Intake
    _closers: list[Any] = field(default_factory=list)

    async def aclose(self) -> None:
        """Stop runs first, then close clients, then the database (the reverse of their use)."""
        await self.dispatcher.shutdown()
        for client in reversed(self._closers):
            await client.aclose()
        await self.store.close()


async def build_services(settings: Settings) -> Services:
    store = await Store.open(settings.database_url)
    closers: list[Any] = []
    jira = jira_client(settings)
    github = github_client(settings)
    closers.extend(c for c in (jira, github) if c is not None)
    agent = build_agent(
        provider=settings.llm_provider,
        base_url=settings.llm_url,
        api_key=settings.llm_api_key.get_secret_value() if settings.llm_api_key else "",
        model=settings.llm_model,
        jira=jira,
        github=github,
        max_steps=settings.agent_max_steps,
        timeout=settings.run_timeout_seconds,
        tool_output_chars=settings.tool_output_chars,
    )
    closers.append(agent)  # it owns the LLM HTTP client
    dispatcher = Dispatcher(
        store,
        max_concurrent=settings.max_concurrent_runs,
        # A little over the agent's own budget, so the agent reports its timeout itself.
        run_timeout=settings.run_timeout_seconds + 5,
        shutdown_grace=settings.shutdown_grace_seconds,
    )
    intake = Intake(store, agent, dispatcher, max_chars=settings.max_question_chars)
    return Services(settings, store, agent, dispatcher, intake, closers)


def jira_client(settings: Settings) -> JiraClient | None:
    if not settings.jira_enabled or settings.jira_base_url is None:
        return None
    return JiraClient.create(
        settings.jira_base_url,
        email=settings.jira_email,
        api_token=settings.jira_api_token.get_secret_value() if settings.jira_api_token else None,
        pat=settings.jira_pat.get_secret_value() if settings.jira_pat else None,
        timeout=settings.http_timeout_seconds,
    )


def github_client(settings: Settings) -> GitHubClient | None:
    if settings.github_token is None:
        return None
    return GitHubClient.create(
        settings.github_api_url,
        token=settings.github_token.get_secret_value(),
        timeout=settings.http_timeout_seconds,
    )
