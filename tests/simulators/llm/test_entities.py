"""What the SIMULATED model finds named in a text: keys, references, repositories, ids, a message."""

from __future__ import annotations

from simulators.llm.entities import GitHubRef, find, verb_root


def test_references_keep_what_their_url_said_they_are() -> None:
    found = find("Is acme/payments#42 green? And https://github.com/acme/payments/issues/40?")

    assert found.refs == (GitHubRef("acme/payments", 40, "issue"), GitHubRef("acme/payments", 42))
    assert found.repos == (), "a reference's repository is not named on its own"
    assert found.all_repos == ("acme/payments",)


def test_repositories_ranges_runs_and_jobs() -> None:
    found = find("in acme/payments compare main...fix/idempotency-retry, run 6100421 and job 9100423")

    assert found.repos == ("acme/payments",)
    assert found.ranges == (("main", "fix/idempotency-retry"),)
    assert found.run_ids == (6100421,) and found.job_ids == (9100423,)


def test_prose_with_slashes_and_branch_names_is_no_repository() -> None:
    assert find("CI/CD and/or fix/flaky-retry on 09/30").repos == ()


def test_a_request_says_its_verb_and_what_to_write() -> None:
    found = find("Please comment on OPS-1 that the fix is deployed.")

    assert found.verb == "comment" and found.keys == ("OPS-1",)
    assert found.message == "the fix is deployed"
    assert find('re-run the failed jobs of "CI"').verb == "rerun"


def test_what_follows_the_comma_after_a_key_is_what_to_write() -> None:
    found = find("acknowledge INC-101, Ana is on it.")

    assert found.verb == "acknowledge" and found.keys == ("INC-101",)
    assert found.message == "Ana is on it"


def test_people_of_the_simulated_jira_by_first_name() -> None:
    assert [person.display_name for person in find("assign OPS-3 to Dana").people] == ["Dana Scully"]


def test_a_verb_and_its_forms_share_a_root() -> None:
    assert {verb_root(word) for word in ("re-run", "re-running", "rerun")} == {"rerun"}
    assert verb_root("creating") == verb_root("create") and verb_root("adding") == verb_root("add")
