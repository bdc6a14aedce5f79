"""JiraClient's writes against the Jira simulator: what is sent, what changes, what is refused."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from integrations.errors import BadRequest, PermissionDenied, Unavailable
from integrations.jira import JiraClient
from integrations.jira.adf_writer import markdown_to_adf
from simulators.jira import JiraSimulator
from tests.integrations.conftest import JIRA_EMAIL, JIRA_PAT, JIRA_TOKEN, SleepRecorder

SCULLY = "5f8b1c2d3e4a5b6c7d8e9f01"
MULDER = "5f8b1c2d3e4a5b6c7d8e9f02"
DESCRIPTION = "Customers are charged **twice**.\n\n- retry with the same key\n- see https://x.example/rb"


@pytest.fixture
async def dc_sim() -> AsyncIterator[JiraSimulator]:
    async with JiraSimulator(edition="datacenter", pat=JIRA_PAT) as sim:
        yield sim


@pytest.fixture
async def dc_jira(dc_sim: JiraSimulator, sleeps: SleepRecorder) -> AsyncIterator[JiraClient]:
    async with JiraClient.create(dc_sim.url, pat=JIRA_PAT, sleep=sleeps) as client:
        yield client


@pytest.fixture
async def scoped_jira(jira_sim: JiraSimulator, sleeps: SleepRecorder) -> AsyncIterator[JiraClient]:
    async with JiraClient.create(
        jira_sim.url, email=JIRA_EMAIL, api_token=JIRA_TOKEN, projects=["OPS"], sleep=sleeps
    ) as client:
        yield client


async def test_create_issue_sends_adf_and_the_issue_can_be_read_back(
    jira: JiraClient, jira_sim: JiraSimulator
) -> None:
    created = await jira.create_issue(
        "ops",
        "Bug",
        "Duplicate charge on retry",
        DESCRIPTION,
        priority="High",
        labels=["payments"],
        assignee_account_id=SCULLY,
    )

    assert (created.key, created.url) == ("OPS-37", f"{jira_sim.url}/browse/OPS-37")
    (write,) = jira_sim.writes()
    assert (write.operation, write.target) == ("createIssue", "OPS-37")
    assert write.body == {
        "fields": {
            "project": {"key": "OPS"},
            "issuetype": {"name": "Bug"},
            "summary": "Duplicate charge on retry",
            "description": markdown_to_adf(DESCRIPTION),
            "priority": {"name": "High"},
            "labels": ["payments"],
            "assignee": {"accountId": SCULLY},
        }
    }
    issue = await jira.get_issue("OPS-37")
    assert (issue.status, issue.issue_type, issue.priority, issue.assignee) == (
        "To Do",
        "Bug",
        "High",
        "Dana Scully",
    )
    assert (
        issue.description
        == "Customers are charged **twice**.\n• retry with the same key\n• see https://x.example/rb"
    )


async def test_a_minimal_issue_sends_only_what_was_given(jira: JiraClient, jira_sim: JiraSimulator) -> None:
    await jira.create_issue("OPS", "Task", "Tidy up", "")

    assert jira_sim.writes()[0].body == {
        "fields": {"project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "summary": "Tidy up"}
    }


async def test_data_center_gets_wiki_markup_and_user_names(
    dc_jira: JiraClient, dc_sim: JiraSimulator
) -> None:
    created = await dc_jira.create_issue(
        "OPS", "Task", "Rotate keys", "Do it **now**", assignee_account_id="dscully"
    )
    await dc_jira.add_comment(created.key, "Done in `prod`")
    await dc_jira.assign(created.key, "fmulder")

    create, comment, assign = (write.body for write in dc_sim.writes())
    assert create["fields"]["description"] == "Do it *now*"
    assert create["fields"]["assignee"] == {"name": "dscully"}
    assert comment == {"body": "Done in {{prod}}"}
    assert assign == {"name": "fmulder"}
    assert dc_sim.requests_to("/rest/api/2/issue")[0].method == "POST"
    issue = await dc_jira.get_issue(created.key)
    assert issue.assignee == "Fox Mulder"
    assert [c.body for c in issue.comments] == ["Done in `prod`"]


async def test_add_comment_appears_on_the_issue(jira: JiraClient, jira_sim: JiraSimulator) -> None:
    added = await jira.add_comment("ops-2", "Unblocked by [PR 42](https://github.com/acme/payments/pull/42)")

    assert added.key == "OPS-2"
    assert added.url == f"{jira_sim.url}/browse/OPS-2?focusedCommentId={added.comment_id}"
    assert jira_sim.writes()[0].body == {
        "body": markdown_to_adf("Unblocked by [PR 42](https://github.com/acme/payments/pull/42)")
    }
    issue = await jira.get_issue("OPS-2")
    assert issue.comments[-1].body == "Unblocked by [PR 42](https://github.com/acme/payments/pull/42)"
    assert issue.comments[-1].author == "ChatOps Bot"


@pytest.mark.parametrize("named", ["51", "Unblock", "unblock", "in progress"])
async def test_transition_by_id_name_or_target_status(
    jira: JiraClient, jira_sim: JiraSimulator, named: str
) -> None:
    done = await jira.transition("OPS-2", named)

    assert (done.transition_id, done.transition, done.to_status) == ("51", "Unblock", "In Progress")
    assert [w.body for w in jira_sim.writes()] == [{"transition": {"id": "51"}}]
    assert (await jira.get_issue("OPS-2")).status == "In Progress"


async def test_an_unavailable_transition_is_refused_before_any_write(
    jira: JiraClient, jira_sim: JiraSimulator
) -> None:
    with pytest.raises(BadRequest, match="no transition 'Done' available"):
        await jira.transition("OPS-2", "Done")  # OPS-2 is Blocked: only Unblock is possible

    assert jira_sim.writes() == []
    assert [r.method for r in jira_sim.requests] == ["GET"]


async def test_assign_and_unknown_users(jira: JiraClient, jira_sim: JiraSimulator) -> None:
    assigned = await jira.assign("OPS-2", SCULLY)

    assert (assigned.key, assigned.assignee) == ("OPS-2", SCULLY)
    assert jira_sim.writes()[0].body == {"accountId": SCULLY}
    assert jira_sim.requests[-1].method == "PUT"
    assert (await jira.get_issue("OPS-2")).assignee == "Dana Scully"
    with pytest.raises(BadRequest, match="does not exist"):
        await jira.assign("OPS-2", "nobody-at-all")
    assert len(jira_sim.writes()) == 1


async def test_jira_refusals_are_bad_requests_and_change_nothing(
    jira: JiraClient, jira_sim: JiraSimulator
) -> None:
    with pytest.raises(BadRequest, match="issuetype"):
        await jira.create_issue("OPS", "Saga", "x", "")
    with pytest.raises(BadRequest, match="project"):
        await jira.create_issue("NOPE", "Task", "x", "")
    with pytest.raises(BadRequest, match="summary"):
        await jira.create_issue("OPS", "Task", "two\nlines", "")

    assert jira_sim.writes() == []
    assert len(jira_sim.requests) == 2  # the multi-line summary never left the client


async def test_the_project_allowlist_is_checked_before_any_request(
    scoped_jira: JiraClient, jira_sim: JiraSimulator
) -> None:
    attempts = [
        scoped_jira.create_issue("SEC", "Task", "x", ""),
        scoped_jira.add_comment("SEC-1", "hi"),
        scoped_jira.transition("WEB-1", "Done"),
        scoped_jira.assign("SEC-1", SCULLY),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied, match="outside the Jira projects"):
            await attempt

    assert jira_sim.requests == []


async def test_a_post_that_may_have_reached_jira_is_not_retried(
    jira: JiraClient, jira_sim: JiraSimulator, sleeps: SleepRecorder
) -> None:
    jira_sim.fail_next(503)

    with pytest.raises(Unavailable):
        await jira.create_issue("OPS", "Task", "Once only", "")

    assert len(jira_sim.requests) == 1
    assert sleeps.calls == []


async def test_a_refused_429_post_is_sent_again_and_written_once(
    jira: JiraClient, jira_sim: JiraSimulator, sleeps: SleepRecorder
) -> None:
    jira_sim.fail_next(429, headers={"Retry-After": "1"})

    created = await jira.add_comment("OPS-2", "Once only")

    assert created.key == "OPS-2"
    assert len(jira_sim.requests) == 2
    assert len(jira_sim.writes()) == 1
    assert sleeps.calls == [1.0]
