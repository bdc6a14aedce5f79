"""The agent's GitHub tools end to end: the LLM simulator calls them, the GitHub simulator answers."""

from __future__ import annotations

import json
from typing import Any

from bot.events import ToolFinished, ToolStarted, WorkflowEvent
from integrations.github import GitHubClient
from simulators.github import GitHubSimulator
from simulators.llm import LLMSimulator, ToolCall
from tests.bot.agent.conftest import GITHUB_TOKEN, AgentFactory, Ask

HEAD_SHA = "6dcb09b5b57875f334f61aebed695e2e4193db5e"


def tool_results(llm: LLMSimulator) -> list[dict[str, Any]]:
    """The JSON each tool handed the model (inside its untrusted-data fence), in call order."""
    body = llm.requests[-1].body
    contents = [m["content"] for m in body["messages"] if m["role"] == "tool"]
    return [json.loads(content.split("\n", 1)[1].rsplit("\n", 1)[0]) for content in contents]


def summaries(events: list[WorkflowEvent]) -> list[tuple[str, str]]:
    """Each call's start and finish summaries, in the order the calls started. Calls made at once
    may finish in any order, so a finish is paired with its start by call id."""
    finished = {e.call_id: e.summary for e in events if isinstance(e, ToolFinished)}
    started = [e for e in events if isinstance(e, ToolStarted)]
    assert len(finished) == len(started), "every call finished"
    return [(e.summary, finished[e.call_id]) for e in started]


async def test_why_is_ci_red_runs_jobs_and_log(llm: LLMSimulator, ask: Ask) -> None:
    llm.script(
        [
            [ToolCall("github_workflow_runs", {"repo": "acme/payments", "head_sha": HEAD_SHA})],
            [ToolCall("github_workflow_runs", {"repo": "acme/payments", "run_id": 6100421})],
            [ToolCall("github_job_log", {"repo": "acme/payments", "job_id": 9100423, "lines": 5})],
            "integration-tests fails: a retried payment is charged twice.",
        ]
    )

    events = await ask("why is CI red on acme/payments#42?")

    assert summaries(events) == [
        (f"GitHub Actions: runs for {HEAD_SHA[:7]}", "1 run"),
        ("GitHub Actions: jobs of run 6100421", "3 jobs · 1 failed"),
        ("GitHub job log: acme/payments job 9100423", "5 lines"),
    ]
    runs, jobs, log = tool_results(llm)
    assert runs["runs"]["items"][0]["conclusion"] == "failure" and runs["jobs"] is None
    failed = [job for job in jobs["jobs"]["items"] if job["conclusion"] == "failure"]
    assert failed[0]["failed_steps"] == ["Run integration tests"]
    assert log["lines"][-1].endswith("##[error]Process completed with exit code 1.")


async def test_prs_needing_review_and_compare(llm: LLMSimulator, ask: Ask) -> None:
    llm.script(
        [
            [
                ToolCall("github_list_pull_requests", {"repo": "acme/payments"}),
                ToolCall(
                    "github_compare",
                    {"repo": "acme/payments", "base": "main", "head": "fix/idempotency-retry"},
                ),
            ],
            "Two PRs wait for review.",
        ]
    )

    events = await ask("which PRs need review?")

    assert sorted(summaries(events)) == [
        ("GitHub PRs: acme/payments (open)", "2 pull requests · 2 awaiting review"),
        ("GitHub compare: acme/payments main...fix/idempotency-retry", "ahead · 2 commits ahead, 0 behind"),
    ]


async def test_the_pull_request_tool_reports_ci_and_review_state(llm: LLMSimulator, ask: Ask) -> None:
    llm.script([[ToolCall("github_get_pull_request", {"repo": "acme/payments", "number": 42})], "Red."])

    events = await ask("is acme/payments#42 green?")

    assert summaries(events) == [("GitHub: acme/payments#42", "acme/payments#42 · open · 1 failing check")]
    (pull,) = tool_results(llm)
    assert pull["ci"]["state"] == "failing" and pull["ci"]["failing"] == ["integration-tests"]
    assert pull["review_state"] == "review_required"


async def test_a_repository_outside_the_allowlist_is_a_refused_tool_call(
    llm: LLMSimulator, make_agent: AgentFactory, ask: Ask, github_sim: GitHubSimulator
) -> None:
    llm.script([[ToolCall("github_get_issue", {"repo": "acme/secret", "number": 1})], "No access."])
    async with GitHubClient.create(github_sim.url, token=GITHUB_TOKEN, repos=["acme/payments"]) as scoped:
        events = await ask("what is acme/secret#1?", agent=make_agent(github=scoped))

    assert summaries(events) == [("GitHub issue: acme/secret#1", "permission denied")]
    assert github_sim.requests == []
