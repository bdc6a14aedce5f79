"""How the SIMULATED model writes its answer: only from the tool results, led by what is asked."""

from __future__ import annotations

from simulators.llm import compose_answer
from simulators.mcp import Desk
from tests.simulators.llm.samples import OPS_2, PR_42, fenced


def test_failed_and_truncated_results_are_reported_not_invented() -> None:
    answer = compose_answer(["jira_get_issue failed (not found).", '<untrusted-data>{"key": "OPS-9", "summ'])

    assert "not found" in answer
    assert "OPS-9" not in answer


def test_tool_errors_are_reported_from_the_error_object() -> None:
    answer = compose_answer(
        ['{"error": "jira_get_issue failed (not found).\\n<untrusted-data>x</untrusted-data>"}']
    )

    assert "jira_get_issue failed (not found)." in answer


def test_a_who_question_leads_with_the_people() -> None:
    answer = compose_answer(
        [fenced(OPS_2), fenced({**PR_42, "requested_reviewers": ["fmulder"]})], "who owns this?"
    )

    lead = answer.split("\n\n")[0]
    assert lead == (
        "**In short:** OPS-2 is assigned to Fox Mulder. "
        "acme/payments#42 is by dscully, with review requested from fmulder."
    )


def test_a_merge_question_leads_with_what_the_pr_still_needs() -> None:
    pr = {**PR_42, "requested_reviewers": ["fmulder"]}

    answer = compose_answer([fenced(OPS_2), fenced(pr)], "what does the fix need before it can merge?")

    assert answer.split("\n\n")[0] == (
        "**In short:** acme/payments#42 still needs a passing integration-tests check"
        " and a review from fmulder."
    )


def test_a_result_of_an_unknown_shape_is_worded_one_line_per_item_never_dumped() -> None:
    incidents = [incident.as_dict() for incident in Desk().incidents.values()]

    answer = compose_answer([fenced({"incidents": incidents})], "what incidents are open?")

    assert answer.split("\n\n")[:2] == [
        "**In short:** 3 incidents: 1 open, 1 acknowledged, 1 resolved.",
        "3 incidents:\n"
        "- **INC-101** · Checkout latency above 2 s — *open*, severity: SEV-2, service: checkout\n"
        "- **INC-102** · Login errors for SSO users — *acknowledged*, severity: SEV-1, service: auth,"
        " notes: paged auth on-call\n"
        "- **INC-103** · Nightly export job skipped — *resolved*, severity: SEV-3, service: reporting",
    ]
    assert "{" not in answer and "p95 latency" not in answer, "no JSON, no long descriptions"


def test_a_single_unknown_object_is_one_line() -> None:
    answer = compose_answer([fenced({"name": "checkout-v2", "enabled": True})])

    assert answer.split("\n\n")[0] == "**checkout-v2** — enabled: yes"
