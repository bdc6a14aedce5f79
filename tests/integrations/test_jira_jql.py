"""JQL validation and scoping: hostile input is refused or stays inside the allowed projects.

The oracle for "stays inside" is the SIMULATED Jira's JQL evaluator run over the seed, which
holds issues in OPS, WEB and SEC: whatever scoped JQL it accepts must match only OPS issues.
"""

from __future__ import annotations

import random
import re

import pytest

from integrations.errors import BadRequest, PermissionDenied
from integrations.jira.jql import MAX_JQL_CHARS, key_allowed, project_keys, scope_jql
from simulators.jira import jql as simulated_jql
from simulators.jira import load_seed

ALLOWED = ("OPS",)
SCOPE = 'project in ("OPS")'
SEED_ISSUES = load_seed()["issues"]
ORACLE_CONTEXT = simulated_jql.Context(current_user="ChatOps Bot", aliases={}, known={})


def matching_keys(jql: str) -> list[str] | None:
    """Keys the simulated Jira returns for ``jql``, or None when it would answer 400."""
    try:
        predicate = simulated_jql.parse(jql, ORACLE_CONTEXT)
    except simulated_jql.JqlError:
        return None
    return [issue["key"] for issue in SEED_ISSUES if predicate(issue)]


def assert_contained(jql: str) -> bool:
    """Scope ``jql``; when accepted, the result must only ever match OPS. True if accepted."""
    try:
        scoped = scope_jql(jql, ALLOWED)
    except (BadRequest, PermissionDenied):
        return False
    assert scoped.startswith(SCOPE), scoped
    keys = matching_keys(scoped)
    assert keys is None or all(key.startswith("OPS-") for key in keys), (jql, scoped, keys)
    return True


def test_the_seed_has_issues_outside_the_allowlist() -> None:
    # Without them the containment checks below could not fail.
    assert {"WEB-1", "SEC-1"} <= set(matching_keys("project in (WEB, SEC)") or [])


@pytest.mark.parametrize(
    ("jql", "scoped"),
    [
        ("status = Done", f"{SCOPE} AND (status = Done)"),
        (
            "assignee = currentUser() AND (status = A OR status = B) order by priority desc, updated",
            f"{SCOPE} AND (assignee = currentUser() AND (status = A OR status = B))"
            " ORDER BY priority desc, updated",
        ),
        ("ORDER BY created DESC", f"{SCOPE} ORDER BY created DESC"),
        ("  project = ops  ", f"{SCOPE} AND (project = ops)"),
        ("summary ~ “payments v2”", f'{SCOPE} AND (summary ~ "payments v2")'),
        ("summary ~ “it’s fine”", f'{SCOPE} AND (summary ~ "it’s fine")'),
        ("summary ~ ‘x’ OR status = Done", f"{SCOPE} AND (summary ~ 'x' OR status = Done)"),
        ('summary ~ "he said “hi”"', f'{SCOPE} AND (summary ~ "he said “hi”")'),  # text inside a string
        ("project in projectsLeadByUser()", f"{SCOPE} AND (project in projectsLeadByUser())"),
        ("project is EMPTY", f"{SCOPE} AND (project is EMPTY)"),
        ('text ~ "a\\" OR project = SEC"', f'{SCOPE} AND (text ~ "a\\" OR project = SEC")'),
        (
            'labels = chore ORDER BY "Story Points" ASC',
            f'{SCOPE} AND (labels = chore) ORDER BY "Story Points" ASC',
        ),
    ],
)
def test_accepted_jql_is_wrapped_in_the_project_scope(jql: str, scoped: str) -> None:
    assert scope_jql(jql, ALLOWED) == scoped


def test_several_allowed_projects_are_quoted_in_a_stable_order() -> None:
    assert scope_jql("status = Done", project_keys(["web", "OPS "])) == (
        'project in ("OPS", "WEB") AND (status = Done)'
    )


def test_without_an_allowlist_jql_is_checked_but_not_rewritten() -> None:
    assert scope_jql("  status = Done ORDER BY key  ", ()) == "status = Done ORDER BY key"
    with pytest.raises(BadRequest):
        scope_jql("status = Done) OR (status = Open", ())


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        ("status = Open) OR (project = SEC", "closes a parenthesis it never opened"),
        ("(status = Open", "leaves a parenthesis open"),
        ('" OR project = SEC', "unterminated quoted string"),
        ("summary ~ 'x", "unterminated quoted string"),
        ("summary ~ “x) OR (project = SEC", "unterminated quoted string"),
        ("status = Done ORDER BY key OR project = SEC", "ORDER BY expects fields"),
        ("(status = Done ORDER BY key) OR project = SEC", "ORDER BY may appear once"),
        ("status = Done ORDER BY key ORDER BY rank", "ORDER BY may appear once"),
        ("status = Done ORDER BY", "ORDER BY needs at least one field"),
        ("status = Done ORDER BY key,", "ORDER BY ends with a comma"),
        ("status = Done ORDER BY key DESC ASC", "ORDER BY expects fields"),
        ("status = Done ORDER BY (key)", "ORDER BY expects fields"),
        ("ORDER BY a, b, c, d, e, f, g, h", "at most 7 fields"),
        ("status = Done /* OR project = SEC */", "'/*' outside quotes"),
        ("status = Done -- OR project = SEC", "'--' outside quotes"),
        ("status = Done; DELETE", "';' outside quotes"),
        ("status = Done // note", "'//' outside quotes"),
        ("status = Done #note", "'#' outside quotes"),
        ("status = Done\x00", "control characters"),
        ("status = \u202eenoD", "control characters"),
        ("", "empty"),
        (" \n\t ", "empty"),
        ("status = Done AND " * 200, f"longer than {MAX_JQL_CHARS}"),
        ("status ! Done", "the character '!'"),
    ],
)
def test_malformed_or_suspicious_jql_is_a_bad_request(jql: str, message: str) -> None:
    with pytest.raises(BadRequest, match=re.escape(message)):
        scope_jql(jql, ALLOWED)


@pytest.mark.parametrize(
    ("jql", "named"),
    [
        ("project = SEC", "project SEC"),
        ("status = Done OR project = SEC", "project SEC"),
        ("PROJECT in (OPS, sec)", "project sec"),
        ('"project" = "SEC"', "project SEC"),
        ("project = “SEC”", "project SEC"),
        ("project != WEB", "project WEB"),
        ("project not in (WEB)", "project WEB"),
        ("status = Done\nOR project = SEC", "project SEC"),
        ("key = SEC-1", "issue SEC-1"),
        ("issuekey in (OPS-1, sec-1)", "issue SEC-1"),
        ("parent = SEC-1", "issue SEC-1"),
        ("issue = WEB-1", "issue WEB-1"),
    ],
)
def test_jql_naming_another_project_is_refused(jql: str, named: str) -> None:
    with pytest.raises(
        PermissionDenied, match=f"{named} is outside the Jira projects this bot may read \\(OPS\\)"
    ):
        scope_jql(jql, ALLOWED)


@pytest.mark.parametrize(
    "jql",
    [
        'status = Done" OR project = "SEC',  # quotes that pair up differently than they look
        "status = Done OR NOT project = OPS",
        "NOT (project = OPS)",
        "project != OPS OR status = Done",
        "summary ~ project OR labels = chore",
        "labels in (project, key) OR status = Done",
        'text ~ "\\"" OR status = Done',
        "assignee is EMPTY OR assignee is not EMPTY",
        "status = Done OR status != Done",
    ],
)
def test_accepted_jql_never_matches_outside_the_allowlist(jql: str) -> None:
    assert assert_contained(jql)


_FRAGMENTS = (
    "(",
    ")",
    '"',
    "'",
    "“",
    "”",
    "\\",
    "OR",
    "AND",
    "NOT",
    "project",
    "=",
    "!=",
    "in",
    "is",
    "EMPTY",
    "SEC",
    "WEB",
    "OPS",
    "SEC-1",
    "key",
    "status",
    "Done",
    "ORDER",
    "BY",
    ",",
    "~",
    "payments",
    "labels",
    "chore",
    "project = SEC",
    "project in (WEB, SEC)",
    "status = Done",
    'summary ~ "x"',
    "text ~ 'payments'",
    "project != OPS",
    "--",
    "/*",
    "\n",
    "DESC",
)


def test_random_fragment_soup_is_refused_or_contained() -> None:
    rng = random.Random(20261124)
    accepted = 0
    for _ in range(4000):
        parts = [rng.choice(_FRAGMENTS) for _ in range(rng.randint(1, 9))]
        accepted += assert_contained(rng.choice([" ", ""]).join(parts))
    assert accepted > 200  # enough accepted queries reached the oracle for this to mean something


def test_project_keys_are_upper_cased_and_checked() -> None:
    assert project_keys([" ops", "Web", "OPS", ""]) == ("OPS", "WEB")
    assert project_keys(None) == ()
    with pytest.raises(ValueError, match="not a Jira project key: 'OPS-1'"):
        project_keys(["OPS-1"])


def test_key_allowed() -> None:
    assert key_allowed("OPS-1", ("OPS",)) and key_allowed("ops-1", ("OPS",))
    assert not key_allowed("OPSX-1", ("OPS",))
    assert key_allowed("ANY-1", ())
