"""/standup: concurrent fetches from the simulated Jira and GitHub, a validated `Digest` from the LLM."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import pytest

from bot.agent.drafting import DraftRejected
from bot.errors import InputRejected
from bot.pricing import PriceTable
from bot.runs.traces import RunTraces
from bot.runs.usage import run_usage
from bot.store.approvals import Asker
from bot.store.store import Store
from bot.text.explain import explain
from bot.workflows.digest import Digest, DigestScope
from bot.workflows.standup import CHANNEL_LEVEL, Standup
from integrations.errors import PermissionDenied
from integrations.github.client import GitHubClient
from integrations.jira.client import JiraClient
from simulators.github import GitHubSimulator
from simulators.jira import JiraSimulator
from simulators.llm import LLMSimulator, ToolCall
from tests.bot.workflows.conftest import NOW, MakeDrafter
from tests.manual_clock import until

SCOPE = DigestScope(("OPS",), ("acme/payments",))
FAILED_RUN_ID = 6100500
ASKER = Asker("T1", "U1", "C1", "1700000000.000100")
# Priced per request by the model that answered; the configured default has no price, so a run
# whose requests were not recorded could not be priced at all.
PRICES = PriceTable.from_setting("simulated-model=1000000:2000000")
UNPRICED_DEFAULT = "no-such-model"


@pytest.fixture
def github_data(github_data: dict[str, Any]) -> dict[str, Any]:
    """The seed plus a failed CI run on main (newest), over an older green one of the same workflow."""
    repo = github_data["repos"][0]
    green = copy.deepcopy(repo["workflow_runs"][2])
    green.update(id=6100490, head_branch="main", created_at="2026-11-23T07:00:00Z", conclusion="success")
    red = copy.deepcopy(repo["workflow_runs"][0])
    red.update(id=FAILED_RUN_ID, head_branch="main", event="push", created_at="2026-11-24T18:00:00Z")
    repo["workflow_runs"] += [green, red]
    return github_data


@pytest.fixture
def standup(jira: JiraClient, github: GitHubClient, make_drafter: MakeDrafter) -> Standup:
    return Standup(jira, github, make_drafter(), clock=lambda: NOW)


def _items(digest: Digest) -> dict[str, list[str]]:
    return {section.title: [item.text for item in section.items] for section in digest.sections}


async def test_the_digest_covers_blocked_in_progress_waiting_reviews_and_failing_ci(
    standup: Standup, jira_sim: JiraSimulator, llm: LLMSimulator
) -> None:
    result = await standup.run(SCOPE)

    items = _items(result.digest)
    assert list(items) == ["Blocked", "In progress", "Waiting for review", "Failing CI"]
    assert items["Blocked"] == ["OPS-2 · Roll out payments v2 to all regions (Fox Mulder)"]
    assert [text.split(" ")[0] for text in items["In progress"]] == ["OPS-1"], "SEC-1 is outside the scope"
    # #42 has waited since 2026-11-23; #44 was opened less than a day before NOW.
    assert [text.split(" ")[0] for text in items["Waiting for review"]] == ["acme/payments#42"]
    assert items["Failing CI"] == ["acme/payments main: CI failure"]
    links = {item.url for section in result.digest.sections for item in section.items}
    assert f"{jira_sim.url}/browse/OPS-2" in links
    assert f"https://github.com/acme/payments/actions/runs/{FAILED_RUN_ID}" in links
    assert result.facts.problems == []
    assert len(llm.chat_requests()) == 1 and result.usage.requests == 1


async def test_every_source_is_in_flight_at_once(
    standup: Standup, jira_sim: JiraSimulator, github_sim: GitHubSimulator
) -> None:
    jira_sim.hold()
    github_sim.hold()
    task = asyncio.create_task(standup.facts(SCOPE))
    # Two Jira searches, the pull request list and the repository (CI runs follow the repository):
    # a fetch that waited for the one before it would never have four requests in flight.
    await until(lambda: jira_sim.in_flight + github_sim.in_flight == 4)
    jira_sim.release()
    github_sim.release()
    facts = await task

    first_four = sorted([*jira_sim.spans, *github_sim.spans], key=lambda span: span.started)[:4]
    assert all(a.overlaps(b) for a in first_four for b in first_four)
    assert {span.path for span in github_sim.spans} >= {
        "/repos/acme/payments/pulls",
        "/repos/acme/payments",
        "/repos/acme/payments/actions/runs",
    }
    assert [hit.key for hit in facts.blocked] == ["OPS-2"]


async def test_a_source_that_fails_is_noted_and_the_rest_is_still_digested(standup: Standup) -> None:
    result = await standup.run(DigestScope(("OPS",), ("acme/missing",)))

    assert _items(result.digest)["Blocked"][0].startswith("OPS-2")
    assert len(result.facts.problems) == 2
    assert all("acme/missing" in problem for problem in result.facts.problems)


async def test_nothing_to_report_needs_no_model(standup: Standup, llm: LLMSimulator) -> None:
    result = await standup.run(DigestScope(("WEB",), ()))

    assert result.digest.sections == [] and "Nothing" in result.digest.summary
    assert llm.chat_requests() == []


async def test_a_digest_that_links_elsewhere_goes_back_to_the_model_with_the_problem(
    standup: Standup, llm: LLMSimulator
) -> None:
    made_up = {
        "title": "Standup",
        "sections": [{"title": "x", "items": [{"text": "OPS-2", "url": "https://evil.example/"}]}],
    }
    llm.script([[ToolCall("submit_digest", made_up)]])

    result = await standup.run(SCOPE)

    assert result.usage.requests == 2
    retry = llm.chat_requests()[1]["messages"][-1]
    assert retry["role"] == "tool"
    assert "the url https://evil.example/ is not one of the facts' urls" in retry["content"]
    assert all("evil" not in item.url for section in result.digest.sections for item in section.items)


async def test_a_digest_that_never_validates_is_reported_plainly(
    jira: JiraClient, github: GitHubClient, make_drafter: MakeDrafter, llm: LLMSimulator
) -> None:
    standup = Standup(jira, github, make_drafter(attempts=2), clock=lambda: NOW)
    missing_facts = {"title": "Standup", "summary": "All quiet."}
    llm.script([[ToolCall("submit_digest", missing_facts)], [ToolCall("submit_digest", missing_facts)]])

    with pytest.raises(DraftRejected) as rejected:
        await standup.run(SCOPE)

    assert "did not pass validation after 2 attempt(s)" in rejected.value.message
    assert "these facts are missing from the digest: OPS-1, OPS-2, acme/payments#42" in rejected.value.message
    assert len(llm.chat_requests()) == 2


async def test_a_schema_violation_is_retried_too(standup: Standup, llm: LLMSimulator) -> None:
    llm.script([[ToolCall("submit_digest", {"sections": "not a list"})]])

    result = await standup.run(SCOPE)

    assert result.usage.requests == 2 and result.digest.title.startswith("Standup")


def test_the_scope_reads_projects_repositories_and_teams(standup: Standup) -> None:
    standup.teams = {"payments": DigestScope(("OPS",), ("acme/payments",))}
    assert standup.scope("OPS, acme/Payments") == DigestScope(("OPS",), ("acme/payments",))
    assert standup.scope("Payments WEB") == DigestScope(("OPS", "WEB"), ("acme/payments",))
    with pytest.raises(InputRejected, match="don't know"):
        standup.scope("the payments folks")
    with pytest.raises(InputRejected, match="Say which project"):
        standup.scope("")
    standup.default_scope = DigestScope(("OPS",))
    assert standup.scope("  ") == DigestScope(("OPS",))


async def test_a_language_model_that_refuses_the_key_is_an_llm_error_not_a_crash(
    standup: Standup, llm: LLMSimulator
) -> None:
    llm.fail_next(401)

    with pytest.raises(PermissionDenied) as refused:
        await standup.run(SCOPE)

    assert refused.value.service == "llm"
    assert explain(refused.value).startswith("The language model")


async def test_a_digest_someone_asked_for_is_their_priced_run_in_the_channel(
    jira: JiraClient, github: GitHubClient, make_drafter: MakeDrafter, store: Store
) -> None:
    standup = Standup(jira, github, make_drafter(), clock=lambda: NOW, store=store)

    result = await standup.run(SCOPE, ASKER)

    assert result.run_id is not None
    trace = await RunTraces(store).trace(result.run_id)
    assert trace is not None
    run = trace.run
    assert (run.status, run.trigger, run.user_id, run.channel_id) == ("succeeded", "workflow", "U1", "C1")
    assert run.thread_ts == CHANNEL_LEVEL, "replies under the digest are not made follow-ups"
    assert await store.find_conversation("T1", "C1", ASKER.thread_ts) is None
    assert len(trace.llm) == run.usage.requests == 1 and result.usage == run.usage
    assert run.usage.input_tokens > 0 and run.usage.output_tokens > 0
    cost = trace.cost(PRICES, UNPRICED_DEFAULT)
    assert cost is not None and cost > 0
    (usage,) = await run_usage(store, PRICES, UNPRICED_DEFAULT)
    assert (usage.channel_id, usage.user_id, usage.cost) == ("C1", "U1", cost)


async def test_a_digest_that_never_validates_is_a_failed_run_that_still_cost_its_attempts(
    jira: JiraClient, github: GitHubClient, make_drafter: MakeDrafter, llm: LLMSimulator, store: Store
) -> None:
    standup = Standup(jira, github, make_drafter(attempts=2), clock=lambda: NOW, store=store)
    missing_facts = {"title": "Standup", "summary": "All quiet."}
    llm.script([[ToolCall("submit_digest", missing_facts)], [ToolCall("submit_digest", missing_facts)]])

    with pytest.raises(DraftRejected) as rejected:
        await standup.run(SCOPE, ASKER)

    (usage,) = await run_usage(store, PRICES, UNPRICED_DEFAULT)
    assert usage.requests == 2 and usage.cost is not None and usage.cost > 0
    conversation = await store.find_conversation("T1", "C1", CHANNEL_LEVEL)
    assert conversation is not None
    (run,) = await store.runs(conversation)
    assert (run.status, run.error) == ("failed", explain(rejected.value))
