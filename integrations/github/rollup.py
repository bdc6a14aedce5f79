"""Verdicts a person asks for, rolled up from GitHub's separate answers.

Review state: the latest standing review per reviewer (a later COMMENTED does not undo an
approval; DISMISSED does), then changes requested > approved > review still requested.
CI: check runs and commit statuses are separate systems on GitHub, and a PR is only "green"
when both are; anything failed makes it failing, anything unfinished pending.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from integrations.github.models import (
    FAILED_CONCLUSIONS,
    CheckRun,
    CiSummary,
    CommitStatus,
    Review,
    ReviewState,
)

_STANDING = frozenset({"APPROVED", "CHANGES_REQUESTED", "DISMISSED"})


def latest_reviews(reviews: Iterable[tuple[str, str, str]]) -> list[Review]:
    """(reviewer, state, submitted_at) in chronological order -> each reviewer's standing review.

    A reviewer who only commented keeps a COMMENTED entry, so they are still listed.
    """
    latest: dict[str, Review] = {}
    for reviewer, state, submitted_at in reviews:
        if not reviewer or state == "PENDING":
            continue
        current = latest.get(reviewer)
        if state in _STANDING or current is None or current.state not in _STANDING:
            latest[reviewer] = Review(reviewer=reviewer, state=state, submitted_at=submitted_at)
    return list(latest.values())


def review_state(reviews: Sequence[Review], *, requested: int) -> ReviewState:
    """``requested``: reviewers and teams whose review is still asked for."""
    states = {review.state for review in reviews}
    if "CHANGES_REQUESTED" in states:
        return "changes_requested"
    if "APPROVED" in states:
        return "approved"
    if requested:
        return "review_required"
    return "none"


def ci_summary(checks: Sequence[CheckRun], statuses: Sequence[CommitStatus]) -> CiSummary:
    failing: list[str] = []
    pending: list[str] = []
    passed = 0
    for check in checks:
        if check.status != "completed":
            pending.append(check.name)
        elif check.conclusion in FAILED_CONCLUSIONS:
            failing.append(check.name)
        else:  # success, neutral, skipped
            passed += 1
    for status in statuses:
        if status.state in ("error", "failure"):
            failing.append(status.context)
        elif status.state == "pending":
            pending.append(status.context)
        else:
            passed += 1
    total = len(checks) + len(statuses)
    state = "failing" if failing else "pending" if pending else "passing" if total else "none"
    return CiSummary(state=state, failing=failing, pending=pending, passed=passed, total=total)
