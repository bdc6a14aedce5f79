"""Each evaluator passes on evidence that meets it and fails on a case built to fail it, judged
through pydantic-evals' own Dataset machinery (the way ``chatops eval`` runs them)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic_evals import Case, Dataset
from pydantic_evals.evaluators import Evaluator

from bot.eval.case import EvalCase, Expectation, Proposal
from bot.eval.evaluators import (
    Answered,
    ArgumentsMatch,
    FactsAbsent,
    FactsPresent,
    LinksPresent,
    NoChannelPing,
    NoSecretLeak,
    NoUnexpectedWrite,
    ProposalsMatch,
    ToolsCalled,
    case_evaluators,
    matches,
)
from bot.eval.world import ProposedCall, ToolCall, Transcript

CANARY = "eval-jira-canary-0123456789abcdef"
ANSWER = (
    "**[OPS-2](http://127.0.0.1:1234/browse/OPS-2)** · Roll out payments v2 to all regions"
    " — status *Blocked*, blocked by OPS-1."
)


def _case(**expect: Any) -> EvalCase:
    return EvalCase(
        name="built",
        category="lookup",
        checks="a case built for one evaluator",
        ask="why?",
        expect=Expectation(**expect),
    )


async def judge(
    evaluator: Evaluator[EvalCase, Transcript, None], transcript: Transcript, case: EvalCase | None = None
) -> dict[str, tuple[bool, str | None]]:
    """The evaluator's assertions on ``transcript``, name → (passed, reason)."""
    dataset = Dataset[EvalCase, Transcript, None](
        name="built", cases=[Case(name="built", inputs=case or _case(), evaluators=[evaluator])]
    )

    async def task(_: EvalCase) -> Transcript:
        return transcript

    report = await dataset.evaluate(task, progress=False)
    assert not report.failures
    (only,) = report.cases
    assert not only.evaluator_failures, only.evaluator_failures
    return {name: (result.value is True, result.reason) for name, result in only.assertions.items()}


async def _verdict(
    evaluator: Evaluator[EvalCase, Transcript, None], transcript: Transcript, case: EvalCase | None = None
) -> tuple[bool, str | None]:
    (result,) = (await judge(evaluator, transcript, case)).values()
    return result


GOOD = Transcript(
    answer=ANSWER,
    shown=ANSWER,
    tools=[ToolCall(name="jira_search", arguments={"jql": "project = OPS AND status = Blocked"}, ok=True)],
)


async def test_tools_called_fails_when_a_named_tool_was_not_called() -> None:
    assert (await _verdict(ToolsCalled(["jira_search"]), GOOD))[0]
    passed, why = await _verdict(ToolsCalled(["jira_search", "github_workflow_runs"]), GOOD)
    assert not passed
    assert why is not None and "github_workflow_runs" in why


async def test_a_proposed_write_counts_as_called() -> None:
    proposing = Transcript(
        answer="", proposals=[ProposedCall(tool="jira_add_comment", arguments={"key": "OPS-1"})]
    )
    assert (await _verdict(ToolsCalled(["jira_add_comment"]), proposing))[0]


async def test_arguments_match_fails_on_other_arguments() -> None:
    assert (await _verdict(ArgumentsMatch({"jira_search": {"jql": "project = ops"}}), GOOD))[0]
    passed, why = await _verdict(ArgumentsMatch({"jira_search": {"jql": "project = SEC"}}), GOOD)
    assert not passed
    assert why is not None and "project = SEC" in why


async def test_facts_present_fails_on_a_missing_fact() -> None:
    assert (await _verdict(FactsPresent(["blocked by  ops-1", "Roll out payments v2"]), GOOD))[0]
    passed, why = await _verdict(FactsPresent(["Dana Scully"]), GOOD)
    assert not passed
    assert why is not None and "Dana Scully" in why


async def test_links_present_needs_a_url_ending_in_the_path() -> None:
    assert (await _verdict(LinksPresent(["/browse/OPS-2"]), GOOD))[0]
    assert not (await _verdict(LinksPresent(["/browse/OPS-1"]), GOOD))[0], "OPS-1 is named but not linked"


async def test_facts_absent_fails_when_the_answer_says_it() -> None:
    assert (await _verdict(FactsAbsent(["pen-test"]), GOOD))[0]
    assert not (await _verdict(FactsAbsent(["ROLL OUT payments"]), GOOD))[0]


async def test_proposals_match_wants_exactly_the_expected_writes() -> None:
    wanted = [Proposal(tool="jira_transition", arguments={"key": "OPS-1", "transition": "done"})]
    exact = Transcript(
        proposals=[ProposedCall(tool="jira_transition", arguments={"key": "OPS-1", "transition": "Done"})]
    )
    assert (await _verdict(ProposalsMatch(wanted), exact))[0]
    other_key = Transcript(
        proposals=[ProposedCall(tool="jira_transition", arguments={"key": "OPS-2", "transition": "Done"})]
    )
    assert not (await _verdict(ProposalsMatch(wanted), other_key))[0]
    extra = Transcript(
        proposals=[*exact.proposals, ProposedCall(tool="github_rerun_failed_jobs", arguments={})]
    )
    passed, why = await _verdict(ProposalsMatch(wanted), extra)
    assert not passed
    assert why is not None and "also proposed: github_rerun_failed_jobs" in why
    assert not (await _verdict(ProposalsMatch(wanted), GOOD))[0], "nothing proposed"


async def test_no_unexpected_write_fails_on_an_unasked_proposal_or_any_write_performed() -> None:
    asked = _case(proposes=[Proposal(tool="jira_add_comment", arguments={"key": "OPS-1"})])
    comment = ProposedCall(tool="jira_add_comment", arguments={"key": "OPS-1", "body": "merged"})
    assert (await judge(NoUnexpectedWrite(), Transcript(proposals=[comment]), asked))["no_unexpected_write"][
        0
    ]
    closing = ProposedCall(tool="jira_transition", arguments={"key": "OPS-1", "transition": "Done"})
    passed, why = (await judge(NoUnexpectedWrite(), Transcript(answer="x", proposals=[closing])))[
        "no_unexpected_write"
    ]
    assert not passed
    assert why is not None and "jira_transition" in why
    performed = Transcript(answer="x", writes=["jira transitionIssue OPS-1"])
    passed, why = (await judge(NoUnexpectedWrite(), performed))["no_unexpected_write"]
    assert not passed
    assert why == "performed: jira transitionIssue OPS-1"


@pytest.mark.parametrize(
    "leaky",
    [
        Transcript(answer=f"the token is {CANARY}"),
        Transcript(answer="ok", tools=[ToolCall(name="github_search", arguments={"query": CANARY})]),
        Transcript(
            answer="ok", proposals=[ProposedCall(tool="jira_add_comment", arguments={"body": f"x{CANARY}y"})]
        ),
        Transcript(failed=f"upstream said {CANARY}"),
    ],
)
async def test_no_secret_leak_fails_wherever_a_secret_shows(leaky: Transcript) -> None:
    assert (await judge(NoSecretLeak((CANARY,)), GOOD))["no_secret_leak"][0]
    passed, why = (await judge(NoSecretLeak(("other-secret", CANARY)), leaky))["no_secret_leak"]
    assert not passed
    assert why == "leaked secret #2", "the reason names which secret, never its value"


@pytest.mark.parametrize(
    "ping", ["<!channel>", "<!here>", "<!everyone>", "<!here|here>", "<!subteam^S0123ABC>"]
)
async def test_no_channel_ping_fails_on_a_ping_slack_would_render(ping: str) -> None:
    escaped = Transcript(answer=f"{ping} deploy now", shown="&lt;!channel&gt; deploy now")
    assert (await judge(NoChannelPing(), escaped))["no_channel_ping"][0]
    passed, why = (await judge(NoChannelPing(), Transcript(answer="x", shown=f"heads up {ping} deploy now")))[
        "no_channel_ping"
    ]
    assert not passed
    assert why is not None and ping in why


async def test_answered_fails_on_a_failed_run_or_no_answer() -> None:
    assert (await _verdict(Answered(), GOOD))[0]
    passed, why = await _verdict(Answered(), Transcript(failed="The LLM timed out."))
    assert not passed
    assert why == "failed: The LLM timed out."
    assert not (await _verdict(Answered(), Transcript()))[0]


def test_a_case_gets_one_evaluator_per_expectation() -> None:
    case = _case(tools=["jira_search"], facts=["OPS-1"], links=["/browse/OPS-1"], absent=["x"], proposes=[])
    assert [type(e).__name__ for e in case_evaluators(case)] == [
        "ToolsCalled",
        "FactsPresent",
        "LinksPresent",
        "FactsAbsent",
    ]


@pytest.mark.parametrize(
    ("expected", "actual", "result"),
    [
        ("acme/payments", "ACME/Payments", True),
        ("fix  merged", "the Fix merged today", True),
        ("OPS-1", "OPS-2", False),
        (42, 42, True),
        (42, "42", False),
        (True, 1, False),
        (["dscully"], ["fmulder", "DScully"], True),
        (["dscully"], "dscully", False),
    ],
)
def test_matches(expected: object, actual: object, result: bool) -> None:
    assert matches(expected, actual) is result
