"""JiraClient against the Jira simulator on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from aiohttp import web

from integrations.errors import BadRequest, NotFound, PermissionDenied
from integrations.http import build_http_client, request_json
from integrations.jira import JiraClient
from simulators.jira import JiraSimulator
from simulators.server import LocalServer
from tests.integrations.conftest import JIRA_EMAIL, JIRA_PAT, JIRA_TOKEN, SleepRecorder, fixture_json

PR_42 = "https://github.com/acme/payments/pull/42"


async def test_get_issue_has_the_blocking_link_and_the_pr_url(
    jira: JiraClient, jira_sim: JiraSimulator
) -> None:
    issue = await jira.get_issue("OPS-2")

    assert issue.key == "OPS-2"
    assert issue.url == f"{jira_sim.url}/browse/OPS-2"
    assert issue.summary == "Roll out payments v2 to all regions"
    assert (issue.status, issue.issue_type, issue.priority) == ("Blocked", "Story", "Medium")
    assert (issue.assignee, issue.reporter) == ("Fox Mulder", "Walter Skinner")
    assert [(link.relation, link.key, link.status) for link in issue.links] == [
        ("is blocked by", "OPS-1", "In Progress")
    ]
    assert f"Tracking PR: {PR_42}" in issue.description
    assert "• Regions: eu-west, us-east, ap-south" in issue.description


async def test_get_issue_asks_for_explicit_fields_with_basic_auth(
    jira: JiraClient, jira_sim: JiraSimulator
) -> None:
    await jira.get_issue("OPS-1")

    (request,) = jira_sim.requests
    assert request.path == "/rest/api/3/issue/OPS-1"
    assert request.query["fields"].split(",") == [
        "summary",
        "status",
        "issuetype",
        "priority",
        "assignee",
        "reporter",
        "labels",
        "created",
        "updated",
        "description",
        "issuelinks",
        "comment",
    ]
    assert request.auth_scheme == "Basic"
    assert request.headers["Accept"] == "application/json"


async def test_get_issue_renders_comments_and_outward_links(jira: JiraClient) -> None:
    issue = await jira.get_issue("ops-1")  # keys are case-insensitive

    assert issue.key == "OPS-1"
    assert issue.labels == ["payments"]
    assert issue.description.startswith("Retried payment requests lose their idempotency key")
    (comment,) = issue.comments
    assert comment.author == "Dana Scully"
    assert comment.body.endswith(f"Fix in review: {PR_42}")
    assert [(link.relation, link.key) for link in issue.links] == [("blocks", "OPS-2")]


async def test_unassigned_issue(jira: JiraClient) -> None:
    issue = await jira.get_issue("OPS-3")

    assert issue.assignee is None
    assert issue.links == [] and issue.comments == []


@pytest.mark.parametrize("key", ["", "OPS", "OPS-", "1-OPS", "OPS-1; DROP", "../OPS-1", "OPS-1/comment"])
async def test_malformed_keys_are_refused_before_any_request(
    jira: JiraClient, jira_sim: JiraSimulator, key: str
) -> None:
    with pytest.raises(BadRequest, match="not a Jira issue key"):
        await jira.get_issue(key)

    assert jira_sim.requests == []


async def test_unknown_issue_is_not_found_with_jiras_message(jira: JiraClient) -> None:
    with pytest.raises(NotFound, match="Issue does not exist or you do not have permission to see it"):
        await jira.get_issue("OPS-404")


async def test_search_uses_the_enhanced_endpoint_with_explicit_fields(
    jira: JiraClient, jira_sim: JiraSimulator
) -> None:
    result = await jira.search('project = OPS AND status in ("Blocked", "In Progress") ORDER BY updated DESC')

    assert [hit.key for hit in result.issues] == ["OPS-1", "OPS-2"]
    assert result.is_last
    first = result.issues[0]
    assert (first.summary, first.status, first.assignee, first.priority) == (
        "Fix duplicate charges from retried payment requests",
        "In Progress",
        "Dana Scully",
        "High",
    )
    assert first.url == f"{jira_sim.url}/browse/OPS-1"
    (request,) = jira_sim.requests
    assert request.path == "/rest/api/3/search/jql"
    assert request.query["fields"] == "summary,status,assignee,priority,updated"
    assert request.query["maxResults"] == "20"
    assert not any(r.path.endswith("/search") for r in jira_sim.requests)


async def test_search_follows_next_page_tokens_up_to_the_limit(sleeps: SleepRecorder) -> None:
    async with JiraSimulator(page_cap=2) as sim:
        async with JiraClient.create(sim.url, email=JIRA_EMAIL, api_token=JIRA_TOKEN, sleep=sleeps) as jira:
            everything = await jira.search("project = OPS", limit=10)
            first_three = await jira.search("project = OPS", limit=3)

    assert [hit.key for hit in everything.issues] == ["OPS-1", "OPS-2", "OPS-3", "OPS-4"]
    assert everything.is_last
    assert [hit.key for hit in first_three.issues] == ["OPS-1", "OPS-2", "OPS-3"]
    assert not first_three.is_last
    tokens = [request.query.get("nextPageToken") for request in sim.requests]
    assert tokens[0] is None and tokens[1] is not None


async def test_search_limit_is_passed_as_max_results(jira: JiraClient, jira_sim: JiraSimulator) -> None:
    result = await jira.search('assignee = "Dana Scully"', limit=1)

    assert [hit.key for hit in result.issues] == ["OPS-1"]
    assert not result.is_last
    assert jira_sim.requests[0].query["maxResults"] == "1"


async def test_empty_jql_is_refused_locally(jira: JiraClient, jira_sim: JiraSimulator) -> None:
    with pytest.raises(BadRequest, match="empty"):
        await jira.search("   ")

    assert jira_sim.requests == []


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        ("ORDER BY key DESC", "Unbounded JQL queries are not allowed"),
        ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'"),
        ("flavour = vanilla", "Field 'flavour' does not exist"),
    ],
)
async def test_invalid_jql_is_a_bad_request_with_jiras_message(
    jira: JiraClient, jql: str, message: str
) -> None:
    with pytest.raises(BadRequest, match=message):
        await jira.search(jql)


async def test_removed_search_endpoint_answers_410_mapped_to_not_found(jira_sim: JiraSimulator) -> None:
    # JiraClient never calls the old endpoint; this checks what a caller that did would see.
    auth = httpx.BasicAuth(JIRA_EMAIL, JIRA_TOKEN)
    async with build_http_client(service="jira", base_url=jira_sim.url, headers={}, auth=auth) as http:
        with pytest.raises(NotFound) as caught:
            await request_json(
                http, "GET", "/rest/api/3/search", service="jira", params={"jql": "project = OPS"}
            )

    assert caught.value.status == 410
    assert "Please migrate to the /rest/api/3/search/jql API" in str(caught.value)


async def test_wrong_credentials_are_permission_denied(jira_sim: JiraSimulator) -> None:
    async with JiraClient.create(jira_sim.url, email=JIRA_EMAIL, api_token="not-the-token") as jira:
        with pytest.raises(PermissionDenied, match="not authenticated") as caught:
            await jira.get_issue("OPS-1")

    assert "not-the-token" not in str(caught.value)


async def test_transient_500s_are_retried_until_the_answer_arrives(
    jira: JiraClient, jira_sim: JiraSimulator, sleeps: SleepRecorder
) -> None:
    jira_sim.fail_next(502, times=2)

    issue = await jira.get_issue("OPS-2")

    assert issue.key == "OPS-2"
    assert len(jira_sim.requests) == 3
    assert len(sleeps.calls) == 2


async def test_data_center_uses_v2_with_a_bearer_pat() -> None:
    async with JiraSimulator(edition="datacenter", pat=JIRA_PAT) as sim:
        async with JiraClient.create(sim.url, pat=JIRA_PAT) as jira:
            issue = await jira.get_issue("OPS-2")
            result = await jira.search("project = OPS AND assignee = fmulder")

    assert issue.links[0].relation == "is blocked by"
    assert f"* Tracking PR: {PR_42}" in issue.description  # wiki markup, passed through
    assert [hit.key for hit in result.issues] == ["OPS-2"]
    assert result.is_last
    assert [request.path for request in sim.requests] == ["/rest/api/2/issue/OPS-2", "/rest/api/2/search"]
    assert {request.auth_scheme for request in sim.requests} == {"Bearer"}
    assert sim.requests[1].query["startAt"] == "0"


def test_create_needs_credentials() -> None:
    with pytest.raises(ValueError, match="email and api_token"):
        JiraClient.create("https://acme.atlassian.net", email=JIRA_EMAIL)


@pytest.fixture
async def spec_example_site() -> AsyncIterator[str]:
    """Serves the OpenAPI example issue verbatim: comments as a bare list, odd `updated`."""

    async def issue(request: web.Request) -> web.Response:
        return web.json_response(fixture_json("jira-issue.json"))

    app = web.Application()
    app.router.add_get("/rest/api/3/issue/{key}", issue)
    async with LocalServer(app) as server:
        yield server.url


async def test_the_spec_example_payload_parses(spec_example_site: str) -> None:
    async with JiraClient.create(spec_example_site, email=JIRA_EMAIL, api_token=JIRA_TOKEN) as jira:
        issue = await jira.get_issue("ED-1")

    assert issue.key == "ED-1"
    assert issue.description == "Main order flow broken"
    assert [(link.relation, link.key, link.status) for link in issue.links] == [
        ("is depended by", "PR-2", "Open"),
        ("depends on", "PR-3", "Open"),
    ]
    assert issue.comments[0].author == "Mia Krystof"
    assert issue.updated == "1"


async def test_myself_names_the_account(jira: JiraClient, jira_sim: JiraSimulator) -> None:
    assert await jira.myself() == "ChatOps Bot"
    assert jira_sim.requests[0].path == "/rest/api/3/myself"
