"""The long-lived parts of a running bot, built once from Settings and closed together."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from openai import OpenAIError

from bot.agent import (
    GrantedSearch,
    MCPServerConfig,
    MCPWrites,
    PydanticAgent,
    PydanticJqlTranslator,
    ToolListWatch,
    WriteToolSpec,
    build_agent,
    build_jql_translator,
    load_mcp_config,
    write_specs,
)
from bot.approvals import ApprovalDesk, WritePolicy
from bot.config import Settings, mcp_environ
from bot.errors import ConfigError, StartupError
from bot.lookup import LinkPolicy, LinkReader, Lookup, Mentions, Unfurler
from bot.metrics import Metrics
from bot.otel import start_tracing
from bot.ports import AgentPort
from bot.runs import (
    CONSOLE_APP,
    SLACK_APP,
    Engine,
    Retention,
    Runs,
    executor_identity,
    queue_name,
    run_queue,
)
from bot.store import Approvals, Store, ToolLists
from bot.workflows import Intake, Workflows, build_workflows
from integrations.github import GitHubClient
from integrations.jira import JiraClient


@dataclass
class Services:
    settings: Settings
    store: Store
    agent: AgentPort
    runs: Runs
    intake: Intake
    _closers: list[Any] = field(default_factory=list)
    lookup: Lookup = field(default_factory=lambda: Lookup(None, None))  # /jira and /gh
    links: LinkPolicy = field(default_factory=lambda: LinkPolicy(frozenset()))  # hosts cards may link to
    unfurler: Unfurler | None = None  # link_shared -> chat.unfurl
    metrics: Metrics = field(default_factory=Metrics)  # GET /metrics
    desk: ApprovalDesk | None = None  # proposed writes: decisions, execution, resumption
    workflows: Workflows | None = None  # /standup and its schedules, /triage, thread → Jira issue

    def add_closer(self, closer: Any) -> None:
        """Something an edge started that must stop before the clients and the database."""
        self._closers.append(closer)

    async def aclose(self) -> None:
        """Stop runs first, then close clients, then the database (the reverse of their use)."""
        await self.runs.shutdown()
        for client in reversed(self._closers):
            await client.aclose()
        await self.store.close()


async def build_services(settings: Settings, mode: str = "console", *, port: int | None = None) -> Services:
    """Everything a mode (serve, socket, console, demo) needs. Its runs start once its edge has
    routed them (``services.runs.route`` then ``services.runs.start``). ``port`` (serve's) tells
    apart two processes of one host."""
    surface = "console" if mode in ("console", "demo") else "slack"
    # The team's MCP servers, checked before anything opens: a broken MCP_CONFIG is one line at
    # start-up. The agent offers their read tools; their writes wait for approval cards.
    mcp_servers = load_mcp_config(settings.mcp_config, mcp_environ()) if settings.mcp_config else []
    store = await Store.open(settings.database_url)
    closers: list[Any] = []
    tracing = start_tracing(settings.otel_exporter_otlp_endpoint)  # before any agent is built
    if tracing is not None:
        closers.append(tracing)  # closed last: flushes the spans of runs that ended at shutdown
    metrics = Metrics(model=settings.llm_model)
    jira = jira_client(settings, metrics)
    github = github_client(settings, metrics)
    closers.extend(c for c in (jira, github) if c is not None)
    writes = write_specs(jira, github)  # offered to the agent as proposals; run by the desk
    # Slack's discussion as evidence: each run's grant in memory, the search bound by the Slack edge.
    search = GrantedSearch() if surface == "slack" else None
    agent = llm_agent(
        settings, jira, github, metrics, writes, mcp_servers, tool_lists=ToolLists(store), search=search
    )
    closers.append(agent)  # it owns the LLM HTTP client
    metrics.name_tools(agent.tool_names)
    executor = executor_identity(mode, port=port, explicit=settings.executor_id)
    # A terminal session runs only its own questions, even beside other consoles on one database.
    app_name = console_app(executor) if surface == "console" else SLACK_APP
    engine = Engine.beside(
        settings.database_url,
        app_name=app_name,
        executor_id=executor,
        queues=[
            run_queue(settings.max_concurrent_runs, settings.max_concurrent_runs_fleet, app_name=app_name)
        ],
        system_url=settings.dbos_system_database_url,
    )
    runs = Runs(
        store,
        engine,
        thinking=settings.max_concurrent_runs,
        # A little over the agent's own budget, so the agent reports its timeout itself.
        run_timeout=settings.run_timeout_seconds + 5,
        shutdown_grace=settings.shutdown_grace_seconds,
        metrics=metrics,
        queue=queue_name(app_name),
    )
    # The Jira keys and GitHub references a question mentions are read (all at once) before the
    # agent runs, and given to it as context.
    context = Mentions(jira, github, projects=settings.jira_projects) if jira or github else None
    desk = approval_desk(settings, store, agent, runs, writes, surface=surface, mcp_servers=mcp_servers)
    intake = Intake(
        store, agent, runs, max_chars=settings.max_question_chars, context=context, desk=desk, grants=search
    )
    links = LinkPolicy.for_sites(jira_base_url=settings.jira_base_url, github_api_url=settings.github_api_url)
    translator = jql_translator(settings) if jira is not None else None
    if translator is not None:
        closers.append(translator)  # it owns its own LLM HTTP client
    lookup = Lookup(jira, github, translator=translator)
    reader = LinkReader.for_sites(
        jira_base_url=settings.jira_base_url, github_api_url=settings.github_api_url
    )
    unfurler = Unfurler(jira, github, reader=reader)
    metrics.watch_runs(lambda: runs.running, lambda: runs.queued)
    workflows = build_workflows(settings, store=store, runs=runs, desk=desk, jira=jira, github=github)
    closers.append(workflows)  # last in, first closed: the scheduler stops before the clients
    # Old conversations and runs are pruned hourly; first in the list, so it stops last before the store.
    closers.insert(0, Retention(store, days=settings.retention_days).start())
    return Services(
        settings,
        store,
        agent,
        runs,
        intake,
        closers,
        lookup=lookup,
        links=links,
        unfurler=unfurler,
        metrics=metrics,
        desk=desk,
        workflows=workflows,
    )


def llm_agent(
    settings: Settings,
    jira: JiraClient | None,
    github: GitHubClient | None,
    metrics: Metrics,
    writes: list[WriteToolSpec[Any, Any]],
    mcp_servers: Sequence[MCPServerConfig] = (),
    *,
    tool_lists: ToolLists | None = None,
    search: GrantedSearch | None = None,
) -> PydanticAgent:
    """The agent on the configured LLM; a missing key the SDK insists on is a StartupError.
    The MCP servers' tool lists are watched on ``tool_lists`` (the store), their calls counted."""
    try:
        return build_agent(
            provider=settings.llm_provider,
            base_url=settings.llm_url,
            api_key=settings.llm_api_key.get_secret_value() if settings.llm_api_key else "",
            model=settings.llm_model,
            jira=jira,
            github=github,
            max_steps=settings.agent_max_steps,
            timeout=settings.run_timeout_seconds,
            tool_output_chars=settings.tool_output_chars,
            on_llm_status=metrics.llm_status,
            writes=writes,
            mcp_servers=mcp_servers,
            mcp_watch=ToolListWatch(tool_lists, metrics) if tool_lists is not None else None,
            mcp_observer=metrics,
            discussion=search,
            image_input=settings.llm_image_input,
        )
    except OpenAIError as exc:  # OpenAI's SDK will not start without a key for api.openai.com
        raise StartupError(
            "LLM_API_KEY is not set",
            "put your OpenAI key in .env (or LLM_BASE_URL=... for another endpoint, LLM_PROVIDER=anthropic)",
        ) from exc


def console_app(executor: str) -> str:
    """The application of one terminal session (DBOS allows lowercase letters, digits, - and _)."""
    return f"{CONSOLE_APP}-" + re.sub(r"[^a-z0-9_-]+", "-", executor.lower())[-40:]


def approval_desk(
    settings: Settings,
    store: Store,
    agent: AgentPort,
    runs: Runs,
    writes: list[WriteToolSpec[Any, Any]],
    *,
    surface: str = "slack",
    mcp_servers: Sequence[MCPServerConfig] = (),
) -> ApprovalDesk:
    approvals = Approvals(store, ttl=timedelta(minutes=settings.approval_ttl_minutes))
    policy = WritePolicy.of(settings.write_users, settings.write_channels)
    # The team's MCP servers' writes, made by the desk after Approve like ours.
    catalogs = [MCPWrites(mcp_servers)] if mcp_servers else []
    return ApprovalDesk(
        approvals,
        writes,
        store=store,
        agent=agent,
        runs=runs,
        policy=policy,
        surface=surface,
        catalogs=catalogs,
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


def jira_client(settings: Settings, metrics: Metrics | None = None) -> JiraClient | None:
    if not settings.jira_enabled or settings.jira_base_url is None:
        return None
    return JiraClient.create(
        settings.jira_base_url,
        email=settings.jira_email,
        api_token=settings.jira_api_token.get_secret_value() if settings.jira_api_token else None,
        pat=settings.jira_pat.get_secret_value() if settings.jira_pat else None,
        projects=settings.jira_projects,
        timeout=settings.http_timeout_seconds,
        transport=metrics.upstream_transport("jira") if metrics else None,
    )


def github_client(settings: Settings, metrics: Metrics | None = None) -> GitHubClient | None:
    transport = metrics.upstream_transport("github") if metrics else None
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
                transport=transport,
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
        transport=transport,
    )
