"""/triage against the simulated Jira, GitHub and LLM: a validated `Triage` and the updates it proposes."""

from __future__ import annotations

import pytest

from bot.agent.drafting import DraftRejected
from bot.agent.write_tools import JiraAddCommentArgs, JiraAssignArgs
from bot.errors import InputRejected
from bot.workflows.triage import Triage, Triager, owner_match
from integrations.github.client import GitHubClient
from integrations.jira.client import JiraClient
from integrations.jira.models import JiraUser
from simulators.jira import JiraSimulator
from simulators.llm import LLMSimulator, ToolCall
from tests.bot.workflows.conftest import MakeDrafter

FOX = "5f8b1c2d3e4a5b6c7d8e9f02"  # Fox Mulder's account id in the simulated Jira


@pytest.fixture
def triager(jira: JiraClient, github: GitHubClient, make_drafter: MakeDrafter) -> Triager:
    return Triager(jira, github, make_drafter())


async def test_an_issue_is_classified_from_duplicates_and_related_changes(triager: Triager) -> None:
    result = await triager.run("OPS-6")  # "Enable payments v2 in us-east"

    triage = result.triage
    assert (triage.key, triage.component, triage.severity) == ("OPS-6", "payments", "minor")
    assert triage.duplicates == ["OPS-5"], "OPS-5 enabled payments v2 in eu-west"
    assert triage.suggested_owner == "fmulder", "the author of acme/payments#38, the payments v2 flag"
    assert "OPS-5" in {hit.key for hit in result.facts.candidates}
    assert "OPS-6" not in {hit.key for hit in result.facts.candidates}


async def test_the_owners_github_login_is_proposed_as_the_jira_account_it_names(
    triager: Triager, jira: JiraClient
) -> None:
    # Jira Cloud assigns by account id; fmulder is the local part of Fox Mulder's Jira email.
    result = await triager.run("OPS-6")

    (comment_tool, comment), (assign_tool, assign) = result.proposed_writes()
    assert comment_tool == "jira_add_comment" and assign_tool == "jira_assign"
    assert "Possible duplicates: OPS-5" in JiraAddCommentArgs.model_validate(comment).body
    assert JiraAssignArgs.model_validate(assign).assignee == FOX
    assert "fmulder is Fox Mulder in Jira." in result.triage.reasoning
    assigned = await jira.assign(assign["key"], assign["assignee"])  # what approving it does
    assert assigned.assignee == FOX
    assert (await jira.get_issue("OPS-6")).assignee == "Fox Mulder"


async def test_a_github_login_jira_does_not_know_is_not_proposed_as_assignee(
    triager: Triager, jira_sim: JiraSimulator
) -> None:
    fox = next(user for user in jira_sim.seed["users"] if user["accountId"] == FOX)
    fox["emailAddress"] = "fox.mulder@acme.example"  # Cloud finds people by name or email only

    result = await triager.run("OPS-6")

    ((comment_tool, _),) = result.proposed_writes()
    assert comment_tool == "jira_add_comment" and result.assignee is None
    assert "fmulder matches no Jira account by name or email, so no assignee is proposed." in (
        result.triage.reasoning
    )


async def test_an_owner_named_as_jira_shows_them_is_proposed_by_account_id(
    triager: Triager, llm: LLMSimulator
) -> None:
    by_name = {"key": "OPS-6", "component": "payments", "severity": "minor", "suggested_owner": "Fox Mulder"}
    llm.script([[ToolCall("submit_triage", by_name)]])  # OPS-5's assignee, one of the facts

    result = await triager.run("OPS-6")

    assert result.proposed_writes()[1] == ("jira_assign", {"key": "OPS-6", "assignee": FOX})
    assert "in Jira" not in result.triage.reasoning


async def test_on_data_center_a_login_that_is_a_jira_user_name_is_proposed(
    make_drafter: MakeDrafter, github: GitHubClient
) -> None:
    async with JiraSimulator(edition="datacenter") as sim:
        async with JiraClient.create(sim.url, pat="jira-pat") as jira:
            result = await Triager(jira, github, make_drafter()).run("OPS-6")

            assert result.proposed_writes()[1] == ("jira_assign", {"key": "OPS-6", "assignee": "fmulder"})
            await jira.assign("OPS-6", "fmulder")
    assert [write.operation for write in sim.writes()] == ["assignIssue"]


async def test_when_jiras_user_search_fails_no_assignee_is_proposed_and_the_problem_is_said(
    triager: Triager, jira_sim: JiraSimulator
) -> None:
    facts = await triager.facts("OPS-6")
    triage = Triage(key="OPS-6", component="payments", severity="minor", suggested_owner="fmulder")
    jira_sim.fail_next(403)

    checked, account = await triager.owner_account(facts, triage)

    assert account is None
    assert checked.reasoning == "Jira's user search failed, so fmulder is not proposed as assignee."
    assert facts.problems and facts.problems[0].startswith("Jira user search: ")


def test_an_owner_who_matches_several_jira_accounts_is_not_proposed() -> None:
    twins = [JiraUser(id="a1", display_name="Sam Lee"), JiraUser(id="a2", display_name="sam lee")]

    assert owner_match("Sam Lee", twins) == (
        None,
        "Sam Lee matches 2 Jira accounts, so no assignee is proposed.",
    )
    # Jira matches by prefix; only an exact name, user name, email or email local part counts here.
    assert owner_match("Sam", twins)[0] is None
    assert owner_match("slee", [JiraUser(id="a3", email="slee@acme.example")])[0] == JiraUser(
        id="a3", email="slee@acme.example"
    )


async def test_an_owner_or_duplicate_the_facts_do_not_name_goes_back_to_the_model(
    triager: Triager, llm: LLMSimulator
) -> None:
    invented = {"key": "OPS-6", "component": "payments", "severity": "minor", "suggested_owner": "mallory"}
    llm.script([[ToolCall("submit_triage", invented)]])

    result = await triager.run("OPS-6")

    assert result.triage.suggested_owner == "fmulder" and result.usage.requests == 2
    assert (
        "suggested_owner 'mallory' is not in the facts" in llm.chat_requests()[1]["messages"][-1]["content"]
    )


async def test_a_triage_that_never_validates_is_reported_plainly(triager: Triager, llm: LLMSimulator) -> None:
    wrong = {"key": "OPS-6", "component": "x", "severity": "minor", "duplicates": ["SEC-1"]}
    llm.script([[ToolCall("submit_triage", wrong)]] * 3)

    with pytest.raises(DraftRejected, match="duplicates must come from the duplicate candidates; not: SEC-1"):
        await triager.run("OPS-6")


def test_the_command_takes_exactly_one_issue_key(triager: Triager) -> None:
    assert triager.key(" ops-6 ") == "OPS-6"
    for text in ("", "OPS-6 OPS-7", "payments"):
        with pytest.raises(InputRejected, match="Usage"):
            triager.key(text)
