"""/triage against the simulated Jira, GitHub and LLM: a validated `Triage` and the updates it proposes."""

from __future__ import annotations

import pytest

from bot.agent.drafting import DraftRejected
from bot.agent.write_tools import JiraAddCommentArgs, JiraAssignArgs
from bot.errors import InputRejected
from bot.workflows.triage import Triager
from integrations.github.client import GitHubClient
from integrations.jira.client import JiraClient
from simulators.llm import LLMSimulator, ToolCall
from tests.bot.workflows.conftest import MakeDrafter


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


async def test_the_proposed_updates_are_valid_write_tool_arguments(triager: Triager) -> None:
    result = await triager.run("OPS-6")

    (comment_tool, comment), (assign_tool, assign) = result.proposed_writes()
    assert comment_tool == "jira_add_comment" and assign_tool == "jira_assign"
    assert "Possible duplicates: OPS-5" in JiraAddCommentArgs.model_validate(comment).body
    assert JiraAssignArgs.model_validate(assign).assignee == "fmulder"


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
