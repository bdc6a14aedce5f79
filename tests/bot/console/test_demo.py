"""`chatops demo` on a machine with no credentials and no terminal: plays its script and exits 0,
keeping its runs where `chatops runs` reads them; its MCP part reads the SIMULATED incident MCP
server at once and makes the write it proposes only after "y", once."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.console.app import ConsoleSession
from bot.console.demo import MCP_SCRIPT, demo_services
from simulators.mcp import MCPSimulator

ENV = {"PATH": os.environ.get("PATH", ""), "NO_COLOR": "1"}


@dataclass(frozen=True)
class Played:
    cwd: Path
    result: subprocess.CompletedProcess[str]


def chatops(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        env=ENV,
        cwd=cwd,
        check=False,
    )


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> Played:
    """One scripted demo, in a directory of its own (its database lands there)."""
    cwd = tmp_path_factory.mktemp("demo")
    return Played(cwd, chatops(cwd, "demo"))


def test_demo_streams_an_answer_then_a_follow_up_then_shows_cards(played: Played) -> None:
    result = played.result
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "SIMULATED" in out
    assert "→ Jira: OPS-1" in out and "→ GitHub: acme/payments#42" in out
    assert "OPS-1" in out and "integration-tests" in out
    # The question, the follow-up, `/jira create` and its approval, the MCP read, the MCP write and
    # its approval, the attached log and its question, four direct commands, /standup.
    assert out.count("you> ") == 14
    assert "(attached deploy-failure.log, " in out
    error = '2026-12-06T08:00:12Z ERROR migrate: relation "payments_v2" already exists'
    assert f"The first error in deploy-failure.log is:\n> {error}" in out
    assert "Draft Jira issue for OPS" in out and "Create a Jira issue in OPS" in out
    assert "Created OPS-37" in out, "approved in the console: the simulated Jira created the issue"
    assert "Standup · OPS, acme/payments" in out and "• OPS-2 · Roll out payments v2" in out
    # The cards of the direct commands, straight from the simulated Jira and GitHub.
    assert "OPS-2: Roll out payments v2 to all regions" in out and "is blocked by OPS-1" in out
    assert "• OPS-1 Fix duplicate charges from retried payment requests — In Progress" in out
    assert 'query: project = OPS AND status = "In Progress"' in out
    assert "acme/payments#42: Keep idempotency key on payment retries" in out
    assert "failing: integration-tests" in out and "waiting for review" in out
    assert "Traceback" not in result.stderr
    # The team's MCP server: the incidents read and worded, then the approved acknowledgement.
    assert "3 incidents: 1 open, 1 acknowledged, 1 resolved." in out
    assert "- **INC-101** · Checkout latency above 2 s — *open*" in out
    assert "Tool: incident_acknowledge" in out and '"note": "Ana is on it"' in out
    assert "incidents: incident_acknowledge done." in out and "INC-101 is acknowledged." in out
    # What GET /metrics would have shown: the runs, their tools and the LLM's tokens.
    metrics = out.partition("GET /metrics after this SIMULATED session")[2]
    assert 'chatops_runs_total{outcome="succeeded"}' in metrics
    assert 'chatops_tool_call_seconds_count{tool="jira_get_issue"}' in metrics
    assert 'chatops_llm_tokens_total{direction="in",model="simulated-model"}' in metrics


def test_chatops_runs_in_the_same_directory_lists_the_demos_runs(played: Played) -> None:
    assert played.result.returncode == 0, played.result.stderr
    assert "Runs are kept in ./chatops.db: `chatops runs` lists them." in played.result.stdout
    assert (played.cwd / "chatops.db").is_file() and (played.cwd / "chatops.dbos.sqlite").is_file()

    listed = chatops(played.cwd, "runs")

    assert listed.returncode == 0, listed.stderr
    rows = [line.split() for line in listed.stdout.splitlines()[1:] if line.strip()]
    # The question and its follow-up, the issue drafted from the thread, its approval's resumption,
    # the MCP read, the MCP write and its approval's resumption, the question about the attached log,
    # and the /standup digest. Columns: run, started (date, time), status, trigger, channel, ...
    assert sorted(row[4] for row in rows) == [
        *("approval", "approval"),
        *("console", "console", "console", "console", "console"),
        *("workflow", "workflow"),
    ]
    assert all(row[3] == "succeeded" for row in rows)
    # The digest is recorded as it is made, like Slack's /standup: not a DBOS workflow, no executor.
    durable = [row for row in rows if row[-2] != "-"]  # the last columns: dbos status, executor
    assert len(durable) == 8 and all(row[-1].startswith("demo@") for row in durable), "the demo's executor"


@pytest.mark.timeout(240)
def test_a_second_demo_in_the_same_directory_answers_too(played: Played) -> None:
    # Each terminal session is a DBOS application of its own; on one system database each needs a
    # queue of its own too (the second `make demo` once failed: "Queue 'runs' is already registered").
    assert played.result.returncode == 0, played.result.stderr
    first = _rows(chatops(played.cwd, "runs"))
    again = chatops(played.cwd, "demo")

    assert again.returncode == 0, again.stderr
    assert "Traceback" not in again.stderr + again.stdout
    both = _rows(chatops(played.cwd, "runs", "--last", "50"))
    assert len(both) == 2 * len(first) and all(row[3] == "succeeded" for row in both)


def _rows(listed: subprocess.CompletedProcess[str]) -> list[list[str]]:
    assert listed.returncode == 0, listed.stderr
    return [line.split() for line in listed.stdout.splitlines()[1:] if line.strip()]


async def test_the_demos_mcp_part_reads_at_once_and_writes_once_after_y(tmp_path: Path) -> None:
    async with MCPSimulator() as incidents:
        async with demo_services(
            database_url=f"sqlite:///{tmp_path / 'demo.db'}", incidents=incidents
        ) as services:
            out = io.StringIO()
            session = ConsoleSession(services, out)
            read, write, approve = MCP_SCRIPT
            await session.handle(read)
            await session.handle(write)
            assert [call.tool for call in incidents.calls] == ["incidents_list"], "the write waits for y"
            await session.handle(approve)
            await session.close()

    assert [call.tool for call in incidents.calls] == ["incidents_list", "incident_acknowledge"]
    assert incidents.calls[1].arguments == {"id": "INC-101", "note": "Ana is on it"}
    assert incidents.desk.incidents["INC-101"].status == "acknowledged"
    _, made, answer = out.getvalue().rpartition("incidents: incident_acknowledge done.\n\n")
    assert made and answer.startswith("**In short:** INC-101 is acknowledged.")
    assert "notes: Ana is on it" in answer and "{" not in answer, "the outcome worded, not dumped"
