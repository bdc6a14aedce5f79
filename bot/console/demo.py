"""`chatops demo`: the console against SIMULATED Jira, GitHub, LLM and incident MCP servers on loopback.

No credentials are needed and nothing leaves the machine. The incident MCP server is the team's
MCP server of the demo: ``MCP_CONFIG`` names it (a file in a temporary directory, its annotations
not trusted, its three reads listed as such), so the agent reads incidents at once and proposes
its writes for approval like our own. The simulators are the same fakes
the test suite runs against. Runs are kept in ``./chatops.db`` (DBOS's tables beside it, in
``./chatops.dbos.sqlite``), the database ``chatops runs`` reads when ``DATABASE_URL`` is unset,
so what the demo just did can be looked at afterwards. The demo never writes into a database
``DATABASE_URL`` names: that may be a live bot's, whose runs a demo process must not touch.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from importlib import resources
from pathlib import Path

from bot.config import Settings
from bot.console.app import run_console
from bot.errors import ConfigError
from bot.services import Services, build_services
from simulators.github import GitHubSimulator
from simulators.jira import JiraSimulator
from simulators.llm import SIMULATED_MODEL, LLMSimulator
from simulators.mcp import MCPSimulator

# The team's MCP server (SIMULATED incidents): a read runs at once, a write waits for "y".
MCP_SCRIPT = ("what incidents are open?", "acknowledge INC-101, Ana is on it", "y")
# A pasted log: attached to the question, read in the run and fenced as data; the answer quotes it.
DEPLOY_LOG = str(resources.files("simulators").joinpath("data/deploy-failure.log"))
LOG_SCRIPT = (f"/attach {DEPLOY_LOG}", "why did this deploy fail?")
SCRIPT = (
    "why is OPS-2 blocked?",
    "what does the fix still need before it can merge?",
    # Thread → Jira issue: a typed draft from this conversation, created only after "y".
    "/jira create OPS Payments v2 rollout waits for the retry fix",
    "y",
    *MCP_SCRIPT,
    *LOG_SCRIPT,
    # The direct commands: cards straight from Jira and GitHub, no LLM involved.
    "/jira OPS-2",
    '/jira project = OPS AND status = "In Progress"',
    "/gh acme/payments#42",
    "/gh acme/payments",
    # A standup digest: every source fetched at once, summarised into a typed digest.
    "/standup OPS acme/payments",
)

DEMO_DATABASE = str(Settings.model_fields["database_url"].default)  # sqlite:///./chatops.db
_BANNER_LINES = (
    "chatops demo: SIMULATED Jira, GitHub, LLM and an incident MCP server",
    "running on 127.0.0.1.",
    "The answers come from a rule-based simulated model reading simulated",
    "data; connect real services with `chatops console` or `make run`.",
    "Runs are kept in ./chatops.db: `chatops runs` lists them.",
)
_ELSEWHERE = (
    "(DATABASE_URL names another database, so read the demo's runs with\n"
    f" `DATABASE_URL={DEMO_DATABASE} chatops runs`.)"
)

METRICS_HEADER = "\n── GET /metrics after this SIMULATED session (excerpt: non-zero samples, no buckets) ──"


def boxed(lines: tuple[str, ...]) -> str:
    width = max(len(line) for line in lines) + 2
    body = [f"│ {line.ljust(width - 2)} │" for line in lines]
    return "\n".join([f"┌{'─' * width}┐", *body, f"└{'─' * width}┘"])


BANNER = boxed(_BANNER_LINES)


def _runs_database() -> str | None:
    """The database `chatops runs` reads here, or None when its settings do not load."""
    try:
        return Settings.load("runs").database_url
    except ConfigError:
        return None


def metrics_excerpt(exposition: str) -> str:
    """The samples an operator would look at first: ours, non-zero, without histogram buckets."""
    lines = []
    for line in exposition.splitlines():
        if not line.startswith("chatops_") or "_bucket{" in line or "_created" in line:
            continue
        if float(line.rpartition(" ")[2]) != 0:
            lines.append(line)
    return "\n".join(lines)


MCP_SERVER = "incidents"
MCP_READS = ("incidents_list", "incident_get", "flag_get")


def write_mcp_config(directory: Path, url: str) -> Path:
    """An MCP_CONFIG file naming the SIMULATED incident server at ``url``: annotations not trusted
    (one of its tools lies), its reads listed, so every other tool asks for approval."""
    server = {"url": url, "trust_annotations": False, "read_only": list(MCP_READS)}
    path = directory / "mcp.json"
    path.write_text(json.dumps({"mcpServers": {MCP_SERVER: server}}), encoding="utf-8")
    return path


def demo_settings(
    jira: str,
    github: str,
    llm: str,
    *,
    mcp_config: Path | None = None,
    database_url: str = DEMO_DATABASE,
) -> Settings:
    """The demo's settings: the simulators at these origins, the MCP servers of ``mcp_config``,
    and the demo's database."""
    return Settings.load(
        "demo",
        database_url=database_url,
        dbos_system_database_url=None,  # beside the database, like `chatops runs` expects it
        jira_base_url=jira,
        jira_email="demo@example.com",
        jira_api_token="simulated-token",
        github_api_url=github,
        github_token="simulated-token",
        llm_provider="openai",
        llm_base_url=f"{llm}/v1",
        llm_api_key="simulated-key",
        llm_model=SIMULATED_MODEL,
        mcp_config=mcp_config,
    )


@asynccontextmanager
async def demo_services(
    *, database_url: str = DEMO_DATABASE, incidents: MCPSimulator | None = None
) -> AsyncIterator[Services]:
    """Everything the demo runs on: fresh SIMULATED Jira, GitHub, LLM and incident MCP servers (or
    the running ``incidents`` given), and the services over them."""
    async with AsyncExitStack() as stack:
        jira = await stack.enter_async_context(JiraSimulator())
        github = await stack.enter_async_context(GitHubSimulator())
        llm = await stack.enter_async_context(LLMSimulator())
        if incidents is None:
            incidents = await stack.enter_async_context(MCPSimulator())
        config = write_mcp_config(Path(stack.enter_context(tempfile.TemporaryDirectory())), incidents.url)
        settings = demo_settings(jira.url, github.url, llm.url, mcp_config=config, database_url=database_url)
        services = await build_services(settings, "demo")
        try:
            yield services
        finally:
            await services.aclose()


async def run_demo(*, interactive: bool | None = None) -> None:
    if interactive is None:
        interactive = sys.stdin.isatty()
    print(BANNER)
    if _runs_database() not in (DEMO_DATABASE, None):
        print(_ELSEWHERE)
    async with demo_services() as services:
        await run_console(services, script=SCRIPT, interactive=interactive)
        print(METRICS_HEADER)
        print(metrics_excerpt(services.metrics.exposition().decode()))
