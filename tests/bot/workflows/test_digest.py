"""The standup digest's facts and its check: a digest may only link to fetched facts and must cover each."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.workflows.digest import (
    Digest,
    DigestFacts,
    DigestItem,
    DigestScope,
    DigestSection,
    FailingRun,
    check_digest,
    parse_time,
    waiting_days,
)
from integrations.github.models import PullSummary
from integrations.jira.models import JiraSearchHit

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
BLOCKED = JiraSearchHit(key="OPS-2", url="https://j/browse/OPS-2", summary="Roll out", status="Blocked")
WORKING = JiraSearchHit(key="OPS-1", url="https://j/browse/OPS-1", summary="Retry", status="In Progress")
PULL = PullSummary(
    repo="acme/payments",
    number=42,
    url="https://github.com/acme/payments/pull/42",
    title="Keep key",
    state="open",
    author="fmulder",
    requested_reviewers=["dscully"],
    requested_teams=["payments"],
    created_at="2026-11-23T08:00:00Z",
)
RED = FailingRun("acme/payments", "main", "CI", "failure", "https://github.com/acme/payments/actions/runs/9")


def _facts() -> DigestFacts:
    return DigestFacts(
        DigestScope(("OPS",), ("acme/payments",)),
        NOW,
        in_progress=[WORKING],
        blocked=[BLOCKED],
        waiting_for_review=[PULL],
        failing_ci=[RED],
    )


def _digest(*items: DigestItem, summary: str = "") -> Digest:
    return Digest(title="Standup", summary=summary, sections=[DigestSection(title="All", items=list(items))])


def test_a_digest_that_names_every_fact_and_links_only_to_them_passes() -> None:
    digest = _digest(
        DigestItem(text="OPS-2 blocked", url=BLOCKED.url),
        DigestItem(text="acme/payments#42 waits", url=PULL.url),
        DigestItem(text="CI is red on main", url=RED.url),
        summary="OPS-1 is moving.",
    )

    assert check_digest(_facts(), digest) is None


def test_a_link_the_facts_do_not_have_is_refused_first() -> None:
    digest = _digest(DigestItem(text="OPS-1 OPS-2 acme/payments#42", url="https://evil.example/x"))

    problem = check_digest(_facts(), digest)

    assert problem == "the url https://evil.example/x is not one of the facts' urls; use the urls given"


def test_facts_left_out_are_named_in_order() -> None:
    problem = check_digest(_facts(), _digest(DigestItem(text="OPS-1 is moving")))

    assert problem == "these facts are missing from the digest: OPS-2, acme/payments#42"


def test_the_facts_reach_the_model_as_one_json_item_per_kind() -> None:
    items = _facts().as_context()

    assert [(item.source, item.name) for item in items] == [
        ("jira", "blocked"),
        ("jira", "in_progress"),
        ("github", "waiting_for_review"),
        ("github", "failing_ci"),
    ]
    review = json.loads(items[2].body)["items"][0]
    assert review["ref"] == "acme/payments#42" and review["waiting_days"] == 2
    assert review["reviewers"] == ["dscully", "payments"]


def test_empty_facts_offer_nothing_to_the_model() -> None:
    facts = DigestFacts(DigestScope(), NOW, problems=["Jira: rate limited"])

    assert facts.empty and facts.as_context() == () and facts.links() == set()
    unlinked = DigestFacts(DigestScope(), NOW, blocked=[BLOCKED.model_copy(update={"url": ""})])
    assert not unlinked.empty and unlinked.links() == set() and unlinked.refs() == {"OPS-2"}


def test_the_scope_label_lists_projects_then_repositories() -> None:
    assert DigestScope(("OPS", "WEB"), ("acme/payments",)).label == "OPS, WEB, acme/payments"
    assert DigestScope().label == "everything"


def test_waiting_days_count_whole_days_and_never_go_negative() -> None:
    assert waiting_days(PULL, NOW) == 2
    assert waiting_days(PULL.model_copy(update={"created_at": "2026-11-26T00:00:00Z"}), NOW) == 0
    assert waiting_days(PULL.model_copy(update={"created_at": "yesterday"}), NOW) == 0
    assert parse_time("2026-11-23T08:00:00Z") == datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    assert parse_time("") is None
