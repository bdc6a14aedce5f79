"""The long-lived parts of a running bot, built once from Settings and closed together."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.agent import PydanticJqlTranslator, build_agent, build_jql_translator
from bot.blocks import LinkPolicy
from bot.config import Settings
from bot.dispatcher import Dispatcher
from bot.errors import ConfigError
from bot.intake import Intake
from bot.lookup import Lookup
from bot.mentioned_issues import MentionedIssues
from bot.ports import AgentPort
from bot.store import Store
from bot.unfurl import LinkReader, Unfurler
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
    lookup: Lookup = field(default_factory=lambda: Lookup(None, None))  # /jira and /gh
    links: LinkPolicy = field(default_factory=lambda: LinkPolicy(frozenset()))  # hosts cards may link to
    unfurler: Unfurler | None = None  # link_shared -> chat.unfurl

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
    # Jira keys a question mentions are read before the agent runs, and given to it as context.
    context = MentionedIssues(jira, projects=settings.jira_projects) if jira else None
    intake = Intake(store, agent, dispatcher, max_chars=settings.max_question_chars, context=context)
    links = LinkPolicy.for_sites(jira_base_url=settings.jira_base_url, github_api_url=settings.github_api_url)
    translator = jql_translator(settings) if jira is not None else None
    if translator is not None:
        closers.append(translator)  # it owns its own LLM HTTP client
    lookup = Lookup(jira, github, translator=translator)
    reader = LinkReader.for_sites(
        jira_base_url=settings.jira_base_url, github_api_url=settings.github_api_url
    )
    unfurler = Unfurler(jira, github, reader=reader, links=links)
    return Services(
        settings, store, agent, dispatcher, intake, closers, lookup=lookup, links=links, unfurler=unfurler
    )


def jql_translator(settings: Settings) -> PydanticJqlTranslator:
    """Writes the JQL for `/jira <words>` with the configured LLM; the Jira client scopes it."""
    return build_jql_translator(
        provider=settings.llm_provider,
        base_url=settings.llm_url,
        api_key=settings.llm_api_key.get_secret_value() if settings.llm_api_key else "",
        model=settings.llm_model,
        projects=settings.jira_projects,
        timeout=min(30.0, settings.run_timeout_seconds),
    )


def jira_client(settings: Settings) -> JiraClient | None:
    if not settings.jira_enabled or settings.jira_base_url is None:
        return None
    return JiraClient.create(
        settings.jira_base_url,
        email=settings.jira_email,
        api_token=settings.jira_api_token.get_secret_value() if settings.jira_api_token else None,
        pat=settings.jira_pat.get_secret_value() if settings.jira_pat else None,
        projects=settings.jira_projects,
        timeout=settings.http_timeout_seconds,
    )


def github_client(settings: Settings) -> GitHubClient | None:
    if settings.github_app_enabled:  # an App installation is preferred: higher limits, scoped access
        assert settings.github_app_private_key is not None  # implied by github_app_enabled
        try:
            return GitHubClient.create_for_app(
                settings.github_api_url,
                app_id=str(settings.github_app_id),
                private_key=settings.github_app_private_key.get_secret_value(),
                installation_id=str(settings.github_app_installation_id),
                repos=settings.github_repos,
                timeout=settings.http_timeout_seconds,
            )
        except ValueError:  # the key could not be loaded; the message would not name the variable
            raise ConfigError(
                "GITHUB_APP_PRIVATE_KEY", "is neither a PEM RSA private key nor a readable PEM file"
            ) from None
    if settings.github_token is None:
        return None
    return GitHubClient.create(
        settings.github_api_url,
        token=settings.github_token.get_secret_value(),
        repos=settings.github_repos,
        timeout=settings.http_timeout_seconds,
    )
