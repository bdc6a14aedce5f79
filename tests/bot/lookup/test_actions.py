"""GitHub Actions cards: runs name the next command's ids, jobs show what failed, logs fit a block."""

from __future__ import annotations

import json

from bot.lookup.actions import (
    LOG_CHARS,
    TRUNCATED,
    github_jobs_card,
    github_log_card,
    github_runs_card,
    tail_chars,
)
from bot.lookup.link_policy import LinkPolicy
from bot.slack.blocks.cards import SECTION_CHARS, card_message
from integrations.github.models import Job, JobList, JobLog, WorkflowRun, WorkflowRunList

LINKS = LinkPolicy.for_sites(jira_base_url=None, github_api_url="https://api.github.com")
RUN_URL = "https://github.com/acme/payments/actions/runs/6100421"


def _run(**changes: object) -> WorkflowRun:
    base: dict[str, object] = {
        "id": 6100421,
        "name": "CI",
        "title": "Keep idempotency key",
        "status": "completed",
        "conclusion": "failure",
        "branch": "fix/retry",
        "url": RUN_URL,
        "run_number": 318,
        "created_at": "2026-11-24T08:37:30Z",
    }
    return WorkflowRun.model_validate({**base, **changes})


def test_runs_show_state_branch_time_and_the_run_id_for_the_jobs_command() -> None:
    runs = WorkflowRunList(
        repo="acme/payments",
        total_count=2,
        items=[_run(), _run(id=6100441, status="in_progress", conclusion=None, run_number=321)],
    )
    card = github_runs_card(runs, branch="fix/retry")
    assert card.kind == "github_runs" and card.title == "acme/payments: 2 workflow runs on fix/retry"
    first, second = card.rows
    assert (first.key, first.url, first.text) == ("CI #318", RUN_URL, "Keep idempotency key")
    assert first.detail == "failure · fix/retry · 2026-11-24 08:37 UTC · run 6100421"
    assert second.detail.startswith("in progress · ")
    assert "/gh jobs acme/payments" in card.footer


def test_runs_say_when_only_the_latest_are_shown_and_when_there_are_none() -> None:
    many = github_runs_card(WorkflowRunList(repo="acme/payments", total_count=57, items=[_run()]))
    assert many.title == "acme/payments: latest 1 of 57 workflow runs"
    none = github_runs_card(WorkflowRunList(repo="acme/payments"), branch="dev")
    assert none.title == "acme/payments: no workflow runs on dev"
    assert none.empty == "No workflow runs on dev." and none.footer == ""


def _job(**changes: object) -> Job:
    base: dict[str, object] = {
        "id": 9100421,
        "name": "unit-tests",
        "status": "completed",
        "conclusion": "success",
    }
    return Job.model_validate({**base, **changes})


def test_jobs_list_only_the_failed_ones_with_their_failed_steps_and_ids() -> None:
    jobs = JobList(
        repo="acme/payments",
        run_id=6100421,
        items=[
            _job(),
            _job(id=9100423, name="integration-tests", conclusion="failure", failed_steps=["Run tests"]),
        ],
    )
    card = github_jobs_card(jobs)
    assert card.kind == "github_jobs" and card.title == "acme/payments run 6100421: 1 of 2 jobs failed"
    (row,) = card.rows
    assert (row.key, row.text, row.detail) == (
        "integration-tests",
        "failed at Run tests",
        "failure · job 9100423",
    )
    assert "/gh log acme/payments" in card.footer


def test_a_run_without_failures_says_how_its_jobs_stand() -> None:
    jobs = JobList(
        repo="acme/payments",
        run_id=1,
        items=[_job(), _job(id=2), _job(id=3, status="in_progress", conclusion=None)],
    )
    card = github_jobs_card(jobs)
    assert card.title == "acme/payments run 1: no job failed" and card.rows == []
    assert card.empty == "No job failed (1 in progress, 2 success)."
    assert github_jobs_card(JobList(repo="acme/payments", run_id=1)).empty == "The run has no jobs yet."


def test_a_log_card_drops_timestamps_and_colour_codes_and_says_when_the_log_was_cut() -> None:
    log = JobLog(
        repo="acme/payments",
        job_id=9100423,
        lines=["2026-11-24T08:49:57.0000000Z \x1b[31mFAILED\x1b[0m test_retry", "plain line"],
        truncated=True,
    )
    card = github_log_card(log)
    assert (
        card.kind == "github_log" and card.title == "acme/payments job 9100423: the last 2 lines of its log"
    )
    assert card.code == "FAILED test_retry\nplain line"
    assert card.footer == TRUNCATED
    empty = github_log_card(JobLog(repo="acme/payments", job_id=1))
    assert empty.title == "acme/payments job 1: the log is empty" and empty.code == "" and empty.footer == ""


def test_tail_chars_keeps_whole_lines_from_the_end() -> None:
    text = "\n".join(f"line {n}" for n in range(1000))
    tail = tail_chars(text, 100)
    assert len(tail) <= 100 and tail.startswith("…\nline ") and tail.endswith("line 999")
    assert tail_chars("short", 100) == "short"
    card = github_log_card(JobLog(repo="a/b", job_id=1, lines=["x" * 400] * 100))
    assert len(card.code) <= LOG_CHARS


def test_in_slack_a_log_is_one_escaped_code_block_of_its_last_lines() -> None:
    lines = [f"step {n} <@U123> & ```done```" for n in range(200)]
    card = github_log_card(JobLog(repo="acme/payments", job_id=7, lines=lines))
    blocks = card_message(card, LINKS).blocks
    (code,) = [block for block in blocks if block["text"]["text"].startswith("```")]
    text = code["text"]["text"]
    assert len(text) <= SECTION_CHARS and text.endswith("\n```")
    assert text.startswith("```\n…\nstep ") and "step 199 " in text, "the end of the log is kept"
    inner = text[len("```\n") : -len("\n```")]
    assert "```" not in inner, "a log cannot close the code block early"
    assert "<@U123>" not in json.dumps(blocks) and "&lt;@U123&gt; &amp;" in inner
