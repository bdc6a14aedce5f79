"""`chatops demo` on a machine with no credentials and no terminal: plays its script and exits 0."""

from __future__ import annotations

import os
import subprocess
import sys


def test_demo_streams_an_answer_then_a_follow_up_then_shows_cards() -> None:
    env = {"PATH": os.environ.get("PATH", ""), "NO_COLOR": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo"],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "SIMULATED" in out
    assert "→ Jira: OPS-2" in out and "→ GitHub: acme/payments#42" in out
    assert "OPS-1" in out and "integration-tests" in out
    # The question, the follow-up, `/jira create` and its approval, four direct commands, /standup.
    assert out.count("you> ") == 9
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
    # What GET /metrics would have shown: the runs, their tools and the LLM's tokens.
    metrics = out.partition("GET /metrics after this SIMULATED session")[2]
    assert 'chatops_runs_total{outcome="succeeded"}' in metrics
    assert 'chatops_tool_call_seconds_count{tool="jira_get_issue"}' in metrics
    assert 'chatops_llm_tokens_total{direction="in",model="simulated-model"}' in metrics
