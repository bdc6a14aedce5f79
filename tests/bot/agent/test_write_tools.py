"""The write tools: registry, argument validation, previews, targets, and one execute = one write."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from bot.agent import tool_specs
from bot.agent.tools import TOOL_REGISTRY, WRITE_TOOL_REGISTRY
from bot.agent.write_tools import (
    GitHubCommentArgs,
    GitHubCreateIssueArgs,
    GitHubRerunArgs,
    JiraAddCommentArgs,
    JiraAssignArgs,
    JiraCreateIssueArgs,
    JiraTransitionArgs,
    WriteTarget,
    WriteToolSpec,
    write_specs,
)
from integrations.errors import PermissionDenied
from integrations.github.client import GitHubClient
from integrations.jira.client import JiraClient
from simulators.github import GitHubSimulator
from simulators.jira import JiraSimulator

# A tool that can reach an arbitrary URL or run a command would make every approval moot.
GENERIC = frozenset(
    {"fetch", "http", "https", "url", "web", "browse", "shell", "exec", "command", "cmd", "eval", "script"}
    | {"python", "curl", "sql", "file", "raw"}
)
SCULLY = "5f8b1c2d3e4a5b6c7d8e9f01"


def by_name(specs: list[WriteToolSpec[Any, Any]]) -> dict[str, WriteToolSpec[Any, Any]]:
    return {spec.name: spec for spec in specs}


@pytest.fixture
def specs(jira: JiraClient, github: GitHubClient) -> dict[str, WriteToolSpec[Any, Any]]:
    return by_name(write_specs(jira, github))


def test_every_write_tool_requires_approval_and_no_read_tool_writes() -> None:
    assert [(t.name, t.service) for t in WRITE_TOOL_REGISTRY] == [
        ("jira_create_issue", "jira"),
        ("jira_add_comment", "jira"),
        ("jira_transition", "jira"),
        ("jira_assign", "jira"),
        ("github_create_issue", "github"),
        ("github_comment", "github"),
        ("github_rerun_failed_jobs", "github"),
    ]
    assert all(t.side_effect == "write" and t.requires_approval for t in WRITE_TOOL_REGISTRY)
    assert all(t.side_effect == "read" and not t.requires_approval for t in TOOL_REGISTRY)


async def test_no_generic_fetch_or_shell_tool_exists(jira: JiraClient, github: GitHubClient) -> None:
    names = [t.name for t in (*TOOL_REGISTRY, *WRITE_TOOL_REGISTRY)]
    arguments = [
        field
        for spec in (*tool_specs(jira, github), *write_specs(jira, github))
        for field in spec.arguments.model_json_schema().get("properties", {})
    ]

    assert [name for name in names if GENERIC & set(name.split("_"))] == []
    assert all(name.startswith(("jira_", "github_")) for name in names)
    assert [field for field in arguments if GENERIC & set(field.split("_"))] == []  # no free-form targets


async def test_specs_match_the_registry(jira: JiraClient, github: GitHubClient) -> None:
    specs = write_specs(jira, github)

    assert [(s.name, s.service, s.side_effect, s.requires_approval) for s in specs] == [
        (t.name, t.service, t.side_effect, t.requires_approval) for t in WRITE_TOOL_REGISTRY
    ]
    assert [s.name for s in write_specs(jira, None)] == [
        t.name for t in WRITE_TOOL_REGISTRY if t.service == "jira"
    ]
    assert write_specs(None, None) == []


def test_argument_schemas_forbid_extras_and_describe_every_field(
    specs: dict[str, WriteToolSpec[Any, Any]],
) -> None:
    for spec in specs.values():
        schema = spec.arguments.model_json_schema()
        assert schema["additionalProperties"] is False, spec.name
        assert all(field.get("description") for field in schema["properties"].values()), spec.name
        assert spec.description.endswith("approves."), spec.name


@pytest.mark.parametrize(
    ("model", "arguments"),
    [
        (JiraCreateIssueArgs, {"project": "OPS", "summary": "x", "url": "https://evil.example"}),
        (JiraCreateIssueArgs, {"project": "OPS", "summary": "two\nlines"}),
        (JiraCreateIssueArgs, {"project": "OPS", "summary": ""}),
        (JiraCreateIssueArgs, {"project": "OPS; DROP", "summary": "x"}),
        (JiraCreateIssueArgs, {"project": "OPS", "summary": "x", "labels": ["has space"]}),
        (JiraCreateIssueArgs, {"project": "OPS", "summary": "x", "priority": "Urgent"}),
        (JiraCreateIssueArgs, {"project": "OPS", "summary": "x", "labels": [f"l{i}" for i in range(11)]}),
        (JiraAddCommentArgs, {"key": "OPS-2", "body": ""}),
        (JiraAddCommentArgs, {"key": "OPS 2", "body": "hi"}),
        (JiraTransitionArgs, {"key": "OPS-2", "transition": "x" * 61}),
        (JiraAssignArgs, {"key": "OPS-2", "assignee": "dana scully"}),
        (GitHubCreateIssueArgs, {"repo": "acme", "title": "x"}),
        (GitHubCreateIssueArgs, {"repo": "acme/payments", "title": "x" * 257}),
        (GitHubCommentArgs, {"repo": "acme/payments", "number": 0, "body": "x"}),
        (GitHubRerunArgs, {"repo": "acme/payments", "run_id": -1}),
    ],
)
def test_invalid_arguments_are_refused(model: type[Any], arguments: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        model.model_validate(arguments)


def test_arguments_are_normalised() -> None:
    args = JiraCreateIssueArgs.model_validate(
        {"project": "ops", "summary": "  Tidy up  ", "labels": ["a", "b", "a"]}
    )

    assert (args.project, args.summary, args.labels, args.issue_type) == (
        "OPS",
        "Tidy up",
        ["a", "b"],
        "Task",
    )
    assert JiraAddCommentArgs.model_validate({"key": "ops-2", "body": "x"}).key == "OPS-2"


def test_previews_show_exactly_what_will_be_sent(specs: dict[str, WriteToolSpec[Any, Any]]) -> None:
    def preview(name: str, arguments: dict[str, Any]) -> str:
        spec = specs[name]
        return spec.preview(spec.validate(arguments))

    assert preview(
        "jira_create_issue",
        {
            "project": "OPS",
            "issue_type": "Bug",
            "summary": "Duplicate charge on retry",
            "description": "Steps:\n- pay\n- time out",
            "priority": "High",
            "labels": ["payments"],
            "assignee_account_id": SCULLY,
        },
    ) == (
        "Create a Jira issue in OPS\nType: Bug\nPriority: High\nLabels: payments\n"
        f"Assignee: {SCULLY}\nSummary: Duplicate charge on retry\nDescription:\nSteps:\n- pay\n- time out"
    )
    assert preview("jira_create_issue", {"project": "OPS", "summary": "x"}) == (
        "Create a Jira issue in OPS\nType: Task\nPriority: (project default)\nLabels: (none)\n"
        "Assignee: (unassigned)\nSummary: x\nDescription:\n(empty)"
    )
    assert preview("jira_add_comment", {"key": "OPS-2", "body": "Unblocked."}) == (
        "Comment on Jira issue OPS-2:\nUnblocked."
    )
    assert preview("jira_transition", {"key": "OPS-2", "transition": "Unblock"}) == (
        "Transition Jira issue OPS-2: Unblock"
    )
    assert (
        preview("jira_assign", {"key": "OPS-2", "assignee": SCULLY}) == f"Assign Jira issue OPS-2 to {SCULLY}"
    )
    assert preview("github_create_issue", {"repo": "acme/payments", "title": "Flaky", "body": "Often."}) == (
        "Create a GitHub issue in acme/payments\nLabels: (none)\nTitle: Flaky\nBody:\nOften."
    )
    assert preview("github_comment", {"repo": "acme/payments", "number": 42, "body": "LGTM"}) == (
        "Comment on acme/payments#42:\nLGTM"
    )
    assert preview("github_rerun_failed_jobs", {"repo": "acme/payments", "run_id": 6100421}) == (
        "Re-run the failed jobs of workflow run 6100421 in acme/payments"
    )


def test_targets_name_the_project_or_repository(specs: dict[str, WriteToolSpec[Any, Any]]) -> None:
    def target(name: str, arguments: dict[str, Any]) -> WriteTarget:
        spec = specs[name]
        return spec.target(spec.validate(arguments))

    assert target("jira_create_issue", {"project": "ops", "summary": "x"}) == WriteTarget("jira", "OPS")
    assert target("jira_transition", {"key": "sec-1", "transition": "Done"}) == WriteTarget("jira", "SEC")
    assert target("github_comment", {"repo": "Acme/Payments", "number": 1, "body": "x"}) == WriteTarget(
        "github", "acme/payments"
    )


def test_summaries_survive_invalid_arguments(specs: dict[str, WriteToolSpec[Any, Any]]) -> None:
    assert specs["jira_add_comment"].summarize_call({"key": "OPS-2", "body": "x"}) == "Jira: comment on OPS-2"
    assert specs["github_comment"].summarize_call({"repo": "nope"}) == "GitHub: invalid write arguments"


async def test_building_specs_sends_nothing_and_one_execute_is_one_write(
    specs: dict[str, WriteToolSpec[Any, Any]], jira_sim: JiraSimulator, github_sim: GitHubSimulator
) -> None:
    assert jira_sim.requests == [] and github_sim.requests == []  # proposing is free of side effects

    spec = specs["jira_create_issue"]
    result = await spec.execute(spec.validate({"project": "OPS", "summary": "From the thread"}), "key-1")
    comment = specs["github_comment"]
    added = await comment.execute(
        comment.validate({"repo": "acme/payments", "number": 40, "body": "x"}), "key-2"
    )

    assert spec.describe_result(result) == "Created OPS-37"
    assert result.url.endswith("/browse/OPS-37")
    assert comment.describe_result(added) == "Commented on acme/payments#40"
    assert [w.target for w in jira_sim.writes()] == ["OPS-37"]
    assert [w.target for w in github_sim.writes()] == ["acme/payments#40"]


async def test_execute_transition_reports_the_new_status(
    specs: dict[str, WriteToolSpec[Any, Any]], jira_sim: JiraSimulator
) -> None:
    spec = specs["jira_transition"]

    result = await spec.execute(spec.validate({"key": "OPS-2", "transition": "Unblock"}), "key-3")

    assert spec.describe_result(result) == "OPS-2 → In Progress"
    assert len(jira_sim.writes()) == 1


async def test_the_clients_allowlists_still_hold_for_writes(jira_sim: JiraSimulator) -> None:
    async with JiraClient.create(
        jira_sim.url, email="bot@example.com", api_token="t", projects=["OPS"]
    ) as jira:
        spec = by_name(write_specs(jira, None))["jira_add_comment"]
        with pytest.raises(PermissionDenied):
            await spec.execute(spec.validate({"key": "SEC-1", "body": "x"}), "key-4")

    assert jira_sim.requests == []
