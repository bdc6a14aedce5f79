"""The agent: an LLM with typed Jira/GitHub read tools, behind our own `AgentPort`.

Rule: the only package that imports pydantic-ai, and nothing of its types leaks out. It also owns
the drafting port (typed output for workflows) and the write tools, which only ever propose: the
approval desk executes. Imports ``integrations`` and the shared root modules (errors, events,
ports) and, for its checkpointed steps, ``bot.runs``; never ``bot.slack``, ``bot.console`` or the
workflows. Each model request and each read is a step of the durable run (``checkpointed``,
``tools``). Tool output is untrusted and enters the model's context fenced as data (``untrusted``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx2

from bot.agent.approval_tools import ProposableWrite
from bot.agent.checkpointed import CheckpointedModel
from bot.agent.discussion import SEARCH_TOOL
from bot.agent.drafter import PydanticDrafter, build_drafter
from bot.agent.drafting import Drafter, DraftRequest
from bot.agent.github_tools import GitHubReader, github_specs
from bot.agent.grants import GrantedSearch
from bot.agent.jira_tools import JiraReader, jira_specs
from bot.agent.jql_translator import JqlDraft, JqlTranslator, PydanticJqlTranslator
from bot.agent.mcp import (
    MCPObserver,
    MCPServerConfig,
    MCPWrites,
    ToolListWatch,
    load_mcp_config,
    mcp_toolsets,
)
from bot.agent.model import Provider, build_model
from bot.agent.proposal_history import proposal_history
from bot.agent.runner import PydanticAgent
from bot.agent.telemetry import instrument_agents, stop_instrumenting
from bot.agent.tools import TOOL_REGISTRY, ToolInfo, ToolSpec, validation_summary
from bot.agent.write_tools import WriteToolSpec, write_specs
from bot.ports import DiscussionSearch

__all__ = [
    "MCPObserver",
    "MCPServerConfig",
    "MCPWrites",
    "load_mcp_config",
    "mcp_toolsets",
    "DraftRequest",
    "Drafter",
    "GitHubReader",
    "GrantedSearch",
    "JiraReader",
    "JqlDraft",
    "JqlTranslator",
    "PydanticAgent",
    "PydanticDrafter",
    "PydanticJqlTranslator",
    "SEARCH_TOOL",
    "TOOL_REGISTRY",
    "ToolListWatch",
    "ToolInfo",
    "WriteToolSpec",
    "build_agent",
    "build_drafter",
    "build_jql_translator",
    "instrument_agents",
    "proposal_history",
    "stop_instrumenting",
    "tool_specs",
    "validation_summary",
    "write_specs",
]


def build_agent(
    *,
    provider: Provider,
    base_url: str,
    api_key: str | None,
    model: str,
    jira: JiraReader | None,
    github: GitHubReader | None,
    max_steps: int = 8,
    timeout: float = 120.0,
    tool_output_chars: int = 6000,
    llm_retries: int = 2,
    request_timeout: float = 60.0,
    writes: Sequence[ProposableWrite] = (),
    on_llm_status: Callable[[int], None] | None = None,
    mcp_servers: Sequence[MCPServerConfig] = (),
    mcp_watch: ToolListWatch | None = None,
    mcp_observer: MCPObserver | None = None,
    discussion: DiscussionSearch | None = None,
    image_input: bool | None = None,
) -> PydanticAgent:
    """An agent answering with the LLM at `base_url`; only tools whose client is given are offered.
    `writes` are offered as proposals only (approval-required; see ``bot.approvals.desk``);
    `mcp_servers` offer their reads, and their writes as proposals (``bot.agent.mcp.toolset``),
    their tool lists watched by `mcp_watch` and their calls told to `mcp_observer`; `discussion`
    offers ``slack_search`` to runs that came with Slack's grant (``bot.agent.discussion``);
    `image_input` overrides whether the model is sent attached images (None: its profile decides).

    Call ``await agent.aclose()`` at shutdown to release its HTTP client.
    """
    http = httpx2.AsyncClient(
        timeout=httpx2.Timeout(request_timeout, connect=min(5.0, request_timeout)),
        event_hooks={"response": [_status_hook(on_llm_status)]} if on_llm_status else None,
    )
    # Each model request a step of the durable run: a resumed run does not ask the model again.
    llm = CheckpointedModel(
        build_model(provider=provider, base_url=base_url, api_key=api_key, model=model, http_client=http)
    )
    return PydanticAgent(
        model=llm,
        tools=tool_specs(jira, github),
        max_steps=max_steps,
        timeout=timeout,
        tool_output_chars=tool_output_chars,
        llm_retries=llm_retries,
        on_close=http.aclose,
        writes=writes,
        toolsets=mcp_toolsets(
            mcp_servers, output_chars=tool_output_chars, watch=mcp_watch, observer=mcp_observer
        ),
        discussion=discussion,
        image_input=image_input,
    )


def build_jql_translator(
    *,
    provider: Provider,
    base_url: str,
    api_key: str | None,
    model: str,
    projects: Sequence[str] = (),
    timeout: float = 30.0,
    llm_retries: int = 2,
) -> PydanticJqlTranslator:
    """A translator from plain words to JQL on the same LLM endpoint; ``await aclose()`` at shutdown."""
    http = httpx2.AsyncClient(timeout=httpx2.Timeout(timeout, connect=min(5.0, timeout)))
    llm = build_model(provider=provider, base_url=base_url, api_key=api_key, model=model, http_client=http)
    return PydanticJqlTranslator(
        model=llm, projects=projects, timeout=timeout, llm_retries=llm_retries, on_close=http.aclose
    )


def tool_specs(jira: JiraReader | None, github: GitHubReader | None) -> list[ToolSpec[Any, Any]]:
    """The tools whose client is configured, in registry order."""
    return [*(jira_specs(jira) if jira else []), *(github_specs(github) if github else [])]


def _status_hook(report: Callable[[int], None]) -> Callable[[httpx2.Response], Awaitable[None]]:
    """Reports each LLM HTTP answer's status (every attempt the SDK makes, retries included)."""

    async def hook(response: httpx2.Response) -> None:
        report(response.status_code)

    return hook
