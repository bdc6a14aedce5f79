"""JiraClient against the Jira simulator on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from aiohttp import web

from integrations.errors import BadRequest, NotFound, PermissionDenied, RateLimited
from integrations.http import build_http_client, request_json
from integrations.jira import JiraClient, JiraProject, JiraSprint, JiraTransition
from integrations.jira.models import JiraUser
from simulators.base import LocalServer
from simulators.jira import JiraSimulator
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


ISSUE_FIELDS = [
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
    "subtasks",
    "parent",
    "fixVersions",
]


async def test_get_issue_finds_the_sprint_field_once_then_asks_for_explicit_fields(
    jira: JiraClient, jira_sim: JiraSimulator
) -> None:
    await jira.get_issue("OPS-1")
    await jira.get_issue("OPS-2")

    first, second = jira_sim.requests
    assert first.path == "/rest/api/3/issue/OPS-1"
    assert first.query["fields"].split(",") == [*ISSUE_FIELDS, "*navigable"]
    assert first.query["expand"] == "names,schema"
    assert second.query["fields"].split(",") == [*ISSUE_FIELDS, "customfield_10020"]
    assert "expand" not in second.query
    assert {request.auth_scheme for request in jira_sim.requests} == {"Basic"}
    assert first.headers["Accept"] == "application/json"


async def test_a_site_without_a_sprint_field_stops_looking_after_a_few_reads(sleeps: SleepRecorder) -> None:
    async with JiraSimulator(jira_software=False) as sim:
        async with JiraClient.create(sim.url, email=JIRA_EMAIL, api_token=JIRA_TOKEN, sleep=sleeps) as jira:
            issues = [await jira.get_issue("OPS-2") for _ in range(5)]

    assert {issue.sprint for issue in issues} == {None}
    assert [request.query.get("expand") for request in sim.requests] == ["names,schema"] * 3 + [None] * 2
    assert sim.requests[-1].query["fields"].split(",") == ISSUE_FIELDS


async def test_get_issue_has_sprint_subtasks_fix_versions_and_a_markdown_description(
    jira: JiraClient,
) -> None:
    issue = await jira.get_issue("OPS-2")

    assert issue.sprint == JiraSprint(name="OPS Sprint 42", state="active")
    assert issue.fix_versions == ["payments-2.0"]
    assert [(task.key, task.summary, task.status) for task in issue.subtasks] == [
        ("OPS-5", "Enable payments v2 in eu-west", "Done"),
        ("OPS-6", "Enable payments v2 in us-east", "To Do"),
    ]
    assert issue.parent is None
    assert issue.description.endswith("Region | State\neu-west | paused\nus-east | paused")


async def test_get_issue_renders_code_lists_mentions_and_emphasis(jira: JiraClient) -> None:
    issue = await jira.get_issue("OPS-1")

    assert "**Steps to reproduce**\n1. Submit a payment" in issue.description
    assert "2. Let the client retry" in issue.description
    assert "```python\nretry(request.copy(headers={}))  # key lost here\n```" in issue.description
    assert issue.description.endswith("Owner: @Dana Scully. Severity: **high**")
    assert issue.sprint == JiraSprint(name="OPS Sprint 42", state="active")  # active beats older
    assert (issue.comment_total, issue.fix_versions) == (1, ["payments-1.9.3"])


async def test_a_sub_task_names_its_parent_and_an_issue_without_sprint_has_none(jira: JiraClient) -> None:
    subtask = await jira.get_issue("OPS-6")
    plain = await jira.get_issue("OPS-3")

    assert (subtask.parent, subtask.issue_type, subtask.description) == ("OPS-2", "Sub-task", "")
    assert (plain.sprint, plain.subtasks, plain.fix_versions) == (None, [], [])


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
    result = await jira.search(
        'project = OPS AND status in ("Blocked", "In Progress") AND labels != chore ORDER BY updated DESC'
    )

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
    assert request.query["fields"] == "summary,status,assignee,priority,issuetype,updated"
    assert request.query["maxResults"] == "20"
    assert not any(r.path.endswith("/search") for r in jira_sim.requests)


async def test_search_fills_the_limit_across_short_pages_and_hands_back_a_token(
    sleeps: SleepRecorder,
) -> None:
    async with JiraSimulator(page_cap=4) as sim:
        async with JiraClient.create(sim.url, email=JIRA_EMAIL, api_token=JIRA_TOKEN, sleep=sleeps) as jira:
            first = await jira.search("project = OPS", limit=10)

    assert [hit.key for hit in first.issues] == [f"OPS-{n}" for n in range(1, 11)]
    assert not first.is_last and first.next_page_token
    assert [request.query["maxResults"] for request in sim.requests] == ["10", "6", "2"]
    tokens = [request.query.get("nextPageToken") for request in sim.requests]
    assert tokens[0] is None and None not in tokens[1:]


async def test_search_pages_through_every_issue_with_next_page_tokens(jira: JiraClient) -> None:
    pages = [await jira.search("project = OPS ORDER BY key", limit=10)]
    while pages[-1].next_page_token:
        pages.append(
            await jira.search("project = OPS ORDER BY key", limit=10, page_token=pages[-1].next_page_token)
        )

    keys = [hit.key for page in pages for hit in page.issues]
    assert keys == [f"OPS-{n}" for n in range(1, 37)]
    assert [len(page.issues) for page in pages] == [10, 10, 10, 6]
    assert [page.is_last for page in pages] == [False, False, False, True]
    assert pages[-1].next_page_token is None


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
            result = await jira.search("project = OPS AND assignee = fmulder AND labels != chore")

    assert issue.links[0].relation == "is blocked by"
    assert f"• Tracking PR: {PR_42}" in issue.description  # wiki markup, rendered as Markdown
    assert issue.description.endswith("Region | State\neu-west | paused\nus-east | paused")
    assert issue.sprint == JiraSprint(name="OPS Sprint 42", state="active")  # from Sprint@…[…] strings
    assert [task.key for task in issue.subtasks] == ["OPS-5", "OPS-6"]
    assert [hit.key for hit in result.issues] == ["OPS-2", "OPS-5"]
    assert (result.is_last, result.total, result.next_page_token) == (True, 2, None)
    assert [request.path for request in sim.requests] == ["/rest/api/2/issue/OPS-2", "/rest/api/2/search"]
    assert {request.auth_scheme for request in sim.requests} == {"Bearer"}
    assert sim.requests[0].query["fields"].endswith(",*navigable")
    assert sim.requests[1].query["startAt"] == "0"


async def test_data_center_renders_wiki_markup_as_markdown() -> None:
    async with JiraSimulator(edition="datacenter") as sim:
        async with JiraClient.create(sim.url, pat=JIRA_PAT) as jira:
            issue = await jira.get_issue("OPS-1")

    assert "**Steps to reproduce**\n1. Submit a payment" in issue.description
    assert "```python\nretry(request.copy(headers={}))  # key lost here\n```" in issue.description
    assert issue.description.endswith("Owner: @dscully. Severity: **high**")
    assert issue.comments[0].body.endswith(f"Fix in review: {PR_42}")


async def test_data_center_pages_with_start_at_written_as_the_token() -> None:
    async with JiraSimulator(edition="datacenter", page_cap=7) as sim:
        async with JiraClient.create(sim.url, pat=JIRA_PAT) as jira:
            first = await jira.search("project = OPS", limit=10)
            assert first.next_page_token is not None
            second = await jira.search("project = OPS", limit=30, page_token=first.next_page_token)
            with pytest.raises(BadRequest, match="page token is not valid"):
                await jira.search("project = OPS", page_token="not-a-number")

    assert [hit.key for hit in first.issues] == [f"OPS-{n}" for n in range(1, 11)]
    assert (first.next_page_token, first.total, first.is_last) == ("10", 36, False)
    assert [hit.key for hit in second.issues] == [f"OPS-{n}" for n in range(11, 37)]
    assert (second.next_page_token, second.is_last) == (None, True)
    assert [request.query["startAt"] for request in sim.requests] == ["0", "7", "10", "17", "24", "31"]


async def test_count_uses_the_approximate_count_endpoint_on_cloud(
    jira: JiraClient, jira_sim: JiraSimulator
) -> None:
    assert await jira.count("project = OPS AND status = Done") == 12

    (request,) = jira_sim.requests
    assert (request.method, request.path) == ("POST", "/rest/api/3/search/approximate-count")
    assert request.body == {"jql": "project = OPS AND status = Done"}


async def test_count_on_data_center_reads_the_total_of_an_empty_page() -> None:
    async with JiraSimulator(edition="datacenter") as sim:
        async with JiraClient.create(sim.url, pat=JIRA_PAT) as jira:
            assert await jira.count("project = OPS") == 36

    (request,) = sim.requests
    assert (request.path, request.query["maxResults"]) == ("/rest/api/2/search", "0")


async def test_transitions_name_the_target_status(jira: JiraClient, jira_sim: JiraSimulator) -> None:
    transitions = await jira.transitions("ops-1")

    assert transitions == [
        JiraTransition(id="21", name="Block", to_status="Blocked"),
        JiraTransition(id="31", name="Done", to_status="Done"),
        JiraTransition(id="41", name="Stop progress", to_status="To Do"),
    ]
    assert [(r.method, r.path) for r in jira_sim.requests] == [("GET", "/rest/api/3/issue/OPS-1/transitions")]


async def test_projects_page_through_project_search_and_keep_the_allowlist(sleeps: SleepRecorder) -> None:
    async with JiraSimulator(page_cap=2) as sim:
        async with JiraClient.create(
            sim.url, email=JIRA_EMAIL, api_token=JIRA_TOKEN, projects=["ops", "web"]
        ) as jira:
            projects = await jira.projects()
            site = sim.url

    assert projects == [
        JiraProject(key="OPS", name="Operations", url=f"{site}/browse/OPS"),
        JiraProject(key="WEB", name="Web storefront", url=f"{site}/browse/WEB"),
    ]
    assert [request.query["startAt"] for request in sim.requests] == ["0", "2"]


async def test_projects_on_data_center_come_from_the_project_list() -> None:
    async with JiraSimulator(edition="datacenter") as sim:
        async with JiraClient.create(sim.url, pat=JIRA_PAT) as jira:
            projects = await jira.projects()

    assert [project.key for project in projects] == ["OPS", "SEC", "WEB"]
    assert [request.path for request in sim.requests] == ["/rest/api/2/project"]


async def test_a_429_with_retry_after_is_waited_out_then_answered(
    jira: JiraClient, jira_sim: JiraSimulator, sleeps: SleepRecorder
) -> None:
    jira_sim.fail_next(429, headers={"Retry-After": "3"})

    result = await jira.search("key = OPS-3")

    assert [hit.key for hit in result.issues] == ["OPS-3"]
    assert sleeps.calls == [3.0]
    assert len(jira_sim.requests) == 2


async def test_a_retry_after_beyond_the_budget_fails_fast_with_the_wait(
    jira: JiraClient, jira_sim: JiraSimulator, sleeps: SleepRecorder
) -> None:
    jira_sim.fail_next(503, headers={"Retry-After": "120"})

    with pytest.raises(RateLimited) as caught:
        await jira.get_issue("OPS-3")

    assert caught.value.retry_after == 120.0
    assert sleeps.calls == []


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


async def test_assignable_users_on_cloud_are_found_by_name_or_email_and_carry_the_account_id(
    jira: JiraClient, jira_sim: JiraSimulator
) -> None:
    by_surname = await jira.assignable_users("ops-6", "mulder")
    by_email = await jira.assignable_users("OPS-6", "dscully@")
    by_login = await jira.assignable_users("OPS-6", "wskinner")  # his email's prefix
    nobody = await jira.assignable_users("OPS-6", "mallory")

    assert by_surname == [
        JiraUser(id="5f8b1c2d3e4a5b6c7d8e9f02", display_name="Fox Mulder", email="fmulder@acme.example")
    ]
    assert [user.display_name for user in by_email] == ["Dana Scully"]
    assert [(user.display_name, user.name) for user in by_login] == [("Walter Skinner", "")]  # no user names
    assert nobody == []
    first = jira_sim.requests[0]
    assert first.path == "/rest/api/3/user/assignable/search"
    assert first.query == {"issueKey": "OPS-6", "query": "mulder", "maxResults": "10"}


async def test_assignable_users_on_data_center_match_the_user_name_and_carry_it() -> None:
    async with JiraSimulator(edition="datacenter") as sim:
        async with JiraClient.create(sim.url, pat=JIRA_PAT) as jira:
            (user,) = await jira.assignable_users("OPS-6", "fmulder")

    assert (user.id, user.name, user.display_name) == ("fmulder", "fmulder", "Fox Mulder")
    assert sim.requests[0].path == "/rest/api/2/user/assignable/search"
    assert sim.requests[0].query["username"] == "fmulder"


async def test_assignable_users_need_something_to_look_for_and_an_allowed_issue(
    jira: JiraClient, jira_sim: JiraSimulator
) -> None:
    with pytest.raises(BadRequest, match="no name or email"):
        await jira.assignable_users("OPS-6", "  ")
    with pytest.raises(NotFound):
        await jira.assignable_users("OPS-404", "mulder")
    assert [request.path for request in jira_sim.requests] == ["/rest/api/3/user/assignable/search"]
