"""`chatops demo`: the console against SIMULATED Jira, GitHub and LLM servers on loopback.

No credentials are needed and nothing leaves the machine. The simulators are the same fakes
the test suite runs against.
"""

from __future__ import annotations

import sys
import tempfile
from contextlib import AsyncExitStack
from pathlib import Path

from bot.config import Settings
from bot.console.app import run_console
from bot.services import build_services
from simulators.github import GitHubSimulator
from simulators.jira import JiraSimulator
from simulators.llm import LLMSimulator

SCRIPT = (
    "why is OPS-2 blocked?",
    "what does the fix still need before it can merge?",
    # Thread → Jira issue: a typed draft from this conversation, created only after "y".
    "/jira create OPS Payments v2 rollout waits for the retry fix",
    "y",
    # The direct commands: cards straight from Jira and GitHub, no LLM involved.
    "/jira OPS-2",
    '/jira project = OPS AND status = "In Progress"',
    "/gh acme/payments#42",
    "/gh acme/payments",
    # A standup digest: every source fetched at once, summarised into a typed digest.
    "/standup OPS acme/payments",
)

BANNER = """\
┌──────────────────────────────────────────────────────────────────────────┐
│ chatops demo: SIMULATED Jira, GitHub and LLM running on 127.0.0.1.       │
│ The answers come from a rule-based simulated model reading simulated     │
│ data; connect real services with `chatops console` or `make run`.        │
└──────────────────────────────────────────────────────────────────────────┘"""

METRICS_HEADER = "\n── GET /metrics after this SIMULATED session (excerpt: non-zero samples, no buckets) ──"


def metrics_excerpt(exposition: str) -> str:
    """The samples an operator would look at first: ours, non-zero, without histogram buckets."""
    lines = []
    for line in exposition.splitlines():
        if not line.startswith("chatops_") or "_bucket{" in line or "_created" in line:
            continue
        if float(line.rpartition(" ")[2]) != 0:
            lines.append(line)
    return "\n".join(lines)


async def run_demo(*, interactive: bool | None = None) -> None:
    if interactive is None:
        interactive = sys.stdin.isatty()
    print(BANNER)
    async with AsyncExitStack() as stack:
        jira = await stack.enter_async_context(JiraSimulator())
        github = await stack.enter_async_context(GitHubSimulator())
        llm = await stack.enter_async_context(LLMSimulator())
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="chatops-demo-")))
        settings = Settings.load(
            "demo",
            database_url=f"sqlite:///{workdir / 'demo.db'}",
            jira_base_url=jira.url,
            jira_email="demo@example.com",
            jira_api_token="simulated-token",
            github_api_url=github.url,
            github_token="simulated-token",
            llm_provider="openai",
            llm_base_url=f"{llm.url}/v1",
            llm_api_key="simulated-key",
            llm_model="simulated-model",
        )
        services = await build_services(settings, "demo")
        try:
            await run_console(services, script=SCRIPT, interactive=interactive)
            print(METRICS_HEADER)
            print(metrics_excerpt(services.metrics.exposition().decode()))
        finally:
            await services.aclose()
