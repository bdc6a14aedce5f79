"""Tools read from their schemas: what each parameter takes, and which values its schema accepts."""

from __future__ import annotations

from simulators.llm import OfferedTool
from simulators.llm.toolbox import fill, score
from tests.simulators.llm.samples import MCP_TOOLS, only

PULLS_GET = OfferedTool.from_json_schema(
    "pulls_get",
    "Fetch one pull request.",
    {
        "properties": {
            "owner": {"type": "string"},
            "repo": {"type": "string"},
            "pull_number": {"type": "integer"},
        },
        "required": ["owner", "repo", "pull_number"],
    },
)


def test_a_parameter_takes_a_kind_of_value_by_its_name_or_else_its_description() -> None:
    (get_issue,) = only("jira_get_issue")
    ticket = OfferedTool.from_json_schema(
        "ticket", "", {"properties": {"id": {"type": "string", "description": "The issue key, e.g. ABC-1."}}}
    )

    assert get_issue.slot("key") == "key" and ticket.slot("id") == "key"
    assert PULLS_GET.slot("owner") == "owner" and PULLS_GET.slot("repo") == "repo_name"


def test_owner_and_repo_apart_get_the_parts_of_a_repository() -> None:
    values = {"owner": ["acme"], "repo_name": ["payments"], "repo": ["acme/payments"], "number": [42]}

    assert fill(PULLS_GET, values).arguments == {"owner": "acme", "repo": "payments", "pull_number": 42}


def test_a_value_the_schema_refuses_is_not_used_and_the_parameter_stays_missing() -> None:
    (get_issue,) = only("jira_get_issue")

    assert fill(get_issue, {"key": ["not a key", "OPS-2"]}).arguments == {"key": "OPS-2"}
    filled = fill(get_issue, {"key": ["OPS 2"]})
    assert filled.arguments == {} and filled.missing == ("key",)


def test_writes_are_the_tools_that_only_propose() -> None:
    writes = {tool.name for tool in only("jira_get_issue", "jira_add_comment", "github_rerun_failed_jobs")}

    assert {tool.name for tool in only(*writes) if tool.is_write} == {
        "jira_add_comment",
        "github_rerun_failed_jobs",
    }


def test_a_parameter_names_the_tool_its_value_comes_from() -> None:
    (rerun,) = only("github_rerun_failed_jobs")

    assert [tool.name for tool in rerun.producers("run_id", only("github_workflow_runs", "jira_search"))] == [
        "github_workflow_runs"
    ]


def test_the_name_counts_more_than_the_description() -> None:
    (runs,) = only("github_workflow_runs")

    assert score(runs, {"workflow"}) == 4 and score(runs, {"action"}) == 1


def test_a_team_servers_tools_that_start_with_a_verb_of_change_are_writes_whatever_they_claim() -> None:
    writes = {tool.name for tool in MCP_TOOLS if tool.is_write}

    # incident_resolve says it is read-only in its annotations; its description says it changes.
    assert writes == {"incidents_incident_acknowledge", "incidents_incident_resolve", "incidents_flag_set"}


def test_a_key_parameter_prefers_the_keys_its_example_names() -> None:
    get = next(tool for tool in MCP_TOOLS if tool.name == "incidents_incident_get")
    (jira_get,) = only("jira_get_issue")

    assert get.slot("id") == "key"
    assert get.key_fit({"id": "INC-7"}) == 1 and get.key_fit({"id": "OPS-2"}) == -1
    assert jira_get.key_fit({"key": "INC-7"}) == 0, "no example: any key"
