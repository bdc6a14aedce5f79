"""Cards for GitHub Actions: a repository's workflow runs, a run's failed jobs, a job's log tail.

Like bot/lookup/cards.py: pure builders over the integrations' models. Each card names the next
command to ask (runs → jobs → log) with the ids it shows, so a person can walk from "is CI
red?" to the failing line without leaving Slack.
"""

from __future__ import annotations

import re

from bot.lookup.cards import Card, CardRow, count_title, short_time
from integrations.github.models import Job, JobList, JobLog, WorkflowRun, WorkflowRunList

TRUNCATED = "The log is longer than the bot reads; these are the last lines it read."
LOG_CHARS = 20_000  # the most of a log tail a card carries; renderers cut further to fit
# GitHub prefixes every log line with an ISO timestamp; the card has no room for it.
_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z ")
# Colour codes a runner printed; shown raw they are noise in Slack and escape sequences in a terminal.
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def github_runs_card(runs: WorkflowRunList, *, branch: str | None = None) -> Card:
    rows = [_run_row(run) for run in runs.items]
    where = f" on {branch}" if branch else ""
    if runs.total_count > len(rows):
        summary = f"latest {len(rows)} of {runs.total_count:,} workflow runs"
    else:
        summary = count_title(len(rows), "workflow run", False).lower()
    return Card(
        kind="github_runs",
        title=f"{runs.repo}: {summary}{where}",
        rows=rows,
        empty=f"No workflow runs{where}.",
        footer=f"/gh jobs {runs.repo} <run> shows the failed jobs of a run." if rows else "",
    )


def _run_row(run: WorkflowRun) -> CardRow:
    detail = " · ".join(
        part for part in (run_state(run), run.branch, short_time(run.created_at), f"run {run.id}") if part
    )
    label = f"{run.name} #{run.run_number}" if run.run_number else run.name
    return CardRow(key=label, url=run.url, text=run.title, detail=detail)


def run_state(run: WorkflowRun) -> str:
    """``failure`` / ``success`` once completed, else ``in progress`` / ``queued``."""
    if run.status == "completed" and run.conclusion:
        return run.conclusion
    return run.status.replace("_", " ")


def github_jobs_card(jobs: JobList) -> Card:
    """The failed jobs of one run, each with the steps that failed."""
    failed = jobs.failed
    if failed:
        title = f"{len(failed)} of {count_title(len(jobs.items), 'job', False)} failed"
    else:
        title = "no job failed" if jobs.items else "no jobs"
    return Card(
        kind="github_jobs",
        title=f"{jobs.repo} run {jobs.run_id}: {title}",
        rows_heading="Failed jobs" if failed else "",
        rows=[_job_row(job) for job in failed],
        empty=_no_failure(jobs.items),
        footer=f"/gh log {jobs.repo} <job> shows the end of a job's log." if failed else "",
    )


def _job_row(job: Job) -> CardRow:
    steps = f"failed at {', '.join(job.failed_steps)}" if job.failed_steps else ""
    return CardRow(key=job.name, url=job.url, text=steps, detail=f"{job.conclusion} · job {job.id}")


def _no_failure(jobs: list[Job]) -> str:
    if not jobs:
        return "The run has no jobs yet."
    states: dict[str, int] = {}
    for job in jobs:
        state = job.conclusion or job.status.replace("_", " ") or "unknown"
        states[state] = states.get(state, 0) + 1
    said = ", ".join(f"{n} {state}" for state, n in sorted(states.items()))
    return f"No job failed ({said})."


def github_log_card(log: JobLog) -> Card:
    """The last lines of a job's log as a code block, without timestamps or colour codes."""
    lines = [_ANSI.sub("", _TIMESTAMP.sub("", line)) for line in log.lines]
    code = tail_chars("\n".join(lines), LOG_CHARS)
    footer = TRUNCATED if log.truncated else ""
    return Card(
        kind="github_log",
        title=f"{log.repo} job {log.job_id}: the last {count_title(len(lines), 'line', False)} of its log"
        if lines
        else f"{log.repo} job {log.job_id}: the log is empty",
        code=code,
        footer=footer,
    )


def tail_chars(text: str, limit: int) -> str:
    """The end of ``text`` in at most ``limit`` characters, starting at a line when it can."""
    if len(text) <= limit:
        return text
    tail = text[len(text) - limit + 2 :]
    newline = tail.find("\n")
    if 0 <= newline < len(tail) - 1:
        tail = tail[newline + 1 :]
    return "…\n" + tail
