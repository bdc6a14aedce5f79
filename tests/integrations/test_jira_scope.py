"""The project allowlist (JIRA_PROJECTS) as JiraClient enforces it against the simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from integrations.errors import PermissionDenied
from integrations.jira import JiraClient
from simulators.jira import JiraSimulator
from tests.integrations.conftest import JIRA_EMAIL, JIRA_PAT, JIRA_TOKEN, SleepRecorder

OUTSIDE = r"is outside the Jira projects this bot may read \(OPS\)"


@pytest.fixture
async def scoped(jira_sim: JiraSimulator, sleeps: SleepRecorder) -> AsyncIterator[JiraClient]:
    async with JiraClient.create(
        jira_sim.url, email=JIRA_EMAIL, api_token=JIRA_TOKEN, projects=["ops"], sleep=sleeps
    ) as client:
        yield client


@pytest.mark.parametrize("call", ["get_issue", "transitions"])
async def test_a_key_outside_the_allowlist_is_refused_before_any_request(
    scoped: JiraClient, jira_sim: JiraSimulator, call: str
) -> None:
    with pytest.raises(PermissionDenied, match=f"issue SEC-1 {OUTSIDE}"):
        await getattr(scoped, call)("sec-1")

    assert jira_sim.requests == []


@pytest.mark.parametrize("call", ["search", "count"])
async def test_jql_naming_another_project_is_refused_before_any_request(
    scoped: JiraClient, jira_sim: JiraSimulator, call: str
) -> None:
    with pytest.raises(PermissionDenied, match=f"project SEC {OUTSIDE}"):
        await getattr(scoped, call)("status = Done OR project = SEC")

    assert jira_sim.requests == []


async def test_search_sends_the_scoped_jql_and_reports_it(
    scoped: JiraClient, jira_sim: JiraSimulator
) -> None:
    result = await scoped.search('status = "In Progress" ORDER BY key', limit=50)

    expected = 'project in ("OPS") AND (status = "In Progress") ORDER BY key'
    assert result.jql == expected
    assert jira_sim.requests[0].query["jql"] == expected
    assert result.issues and all(hit.key.startswith("OPS-") for hit in result.issues)
    assert "SEC-1" not in {hit.key for hit in result.issues}  # SEC-1 is In Progress too


async def test_count_is_scoped_too(scoped: JiraClient, jira_sim: JiraSimulator) -> None:
    unscoped_total = len([issue for issue in jira_sim.issues if issue["status"] == "In Progress"])

    count = await scoped.count('status = "In Progress"')

    assert count == unscoped_total - 1  # all but SEC-1
    assert jira_sim.requests[0].body == {"jql": 'project in ("OPS") AND (status = "In Progress")'}
    assert scoped.scoped_jql('status = "In Progress"') == jira_sim.requests[0].body["jql"]


async def test_an_issue_moved_out_of_scope_is_refused_after_jira_names_its_new_key(
    scoped: JiraClient, jira_sim: JiraSimulator
) -> None:
    # OPS-99 moved to SEC-1; Jira answers the old key with the issue under its new key.
    with pytest.raises(PermissionDenied, match=f"issue SEC-1 {OUTSIDE}"):
        await scoped.get_issue("OPS-99")

    assert [request.path for request in jira_sim.requests] == ["/rest/api/3/issue/OPS-99"]


async def test_a_linked_issue_outside_the_allowlist_keeps_only_its_key(
    scoped: JiraClient, jira: JiraClient
) -> None:
    (inside,) = (await scoped.get_issue("OPS-4")).links
    (unrestricted,) = (await jira.get_issue("OPS-4")).links

    assert (inside.relation, inside.key, inside.summary, inside.status) == ("relates to", "SEC-1", "", "")
    assert unrestricted.summary == "Confidential: pen-test findings for the vault"


async def test_data_center_search_is_scoped_the_same_way() -> None:
    async with JiraSimulator(edition="datacenter") as sim:
        async with JiraClient.create(sim.url, pat=JIRA_PAT, projects=["OPS"]) as jira:
            result = await jira.search("status = Done", limit=50)

    assert sim.requests[0].query["jql"] == 'project in ("OPS") AND (status = Done)'
    assert result.total == 12 and len(result.issues) == 12


def test_a_malformed_allowlist_stops_start_up() -> None:
    with pytest.raises(ValueError, match="not a Jira project key"):
        JiraClient.create(
            "https://acme.atlassian.net", email=JIRA_EMAIL, api_token=JIRA_TOKEN, projects=["OPS-1"]
        )
