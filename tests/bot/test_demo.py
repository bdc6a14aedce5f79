"""`chatops demo` on a machine with no credentials and no terminal: plays its script and exits 0."""

from __future__ import annotations

import os
import subprocess
import sys


def test_demo_streams_an_answer_that_used_jira_and_github_then_a_follow_up() -> None:
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
    assert out.count("you> ") == 2  # the question and the follow-up
    assert "Traceback" not in result.stderr
