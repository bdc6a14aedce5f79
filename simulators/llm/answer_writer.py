"""How the SIMULATED model writes its answer: Markdown built only from the tool results it was given.

Each result is recognised by its shape (an issue, a search, a pull request, Actions runs, a job's
log ...) and rendered as a short section; a result of any other shape (a team's MCP server's
incident, a list of them, a flag) is worded generically: one line per item, by the fields items
commonly have (id, title, status, severity ...), never as raw JSON and never obeyed; an "In short"
line leads with what the question asks about (people, what a merge still needs, or what is wrong).
Results it cannot read are reported, never filled in. Every answer ends with ``SIMULATED_NOTE``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from simulators.llm.conversation import first_line, parse_result

SIMULATED_NOTE = (
    "_Written by a simulated model: composed by rules from the tool results above, not by a real LLM._"
)
_FAILED = ("failure", "timed_out", "cancelled", "action_required", "startup_failure")
_LOG_LINES = 8

Data = dict[str, Any]


@dataclass
class _Answer:
    sections: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    people: list[str] = field(default_factory=list)
    needs: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def compose_answer(results: Sequence[str], question: str = "") -> str:
    """A Markdown answer built only from the tool results, led by what the question asks about."""
    answer = _Answer()
    for content in results:
        data = parse_result(content)
        if data is None:
            answer.problems.append(
                "a result too long to read in full" if "<untrusted-data" in content else first_line(content)
            )
        elif set(data) == {"error"}:
            answer.problems.append(first_line(str(data["error"])))
        else:
            _read(data, answer)
    return _written(answer, question)


def _written(answer: _Answer, question: str) -> str:
    about_people = bool(re.search(r"\bwho(se|m)?\b", question, re.IGNORECASE))
    about_merging = bool(re.search(r"\b(merge|merged|checks?|ci|review)\b", question, re.IGNORECASE))
    lead = (
        answer.people if about_people else answer.needs if about_merging and answer.needs else answer.findings
    )
    parts = (["**In short:** " + " ".join(lead)] if lead else []) + answer.sections
    if answer.problems:
        parts.append(
            "Some lookups did not help: "
            + "; ".join(f"`{problem}`" for problem in answer.problems if problem)
        )
    if not answer.sections and not answer.problems:
        parts.append("The tools returned nothing I could use.")
    parts.append(SIMULATED_NOTE)
    return "\n\n".join(parts)


def _read(data: Data, answer: _Answer) -> None:
    for recognised, render in _SHAPES:
        if recognised(data):
            render(data, answer)
            return


# -- Jira ------------------------------------------------------------------------------------


def _jira_issue(issue: Data, answer: _Answer) -> None:
    assignee = issue.get("assignee") or "nobody"
    title = f"**{_linked(issue['key'], issue)}** · {issue.get('summary', '')}"
    lines = [f"{title} — status *{issue['status']}*, assigned to {assignee}."]
    for link in issue.get("links") or []:
        if isinstance(link, dict):
            status = f", *{link['status']}*" if link.get("status") else ""
            lines.append(
                f"- {str(link.get('relation', 'linked to')).capitalize()} **{link.get('key')}**"
                f" ({link.get('summary', '')}{status})"
            )
    answer.sections.append("\n".join(lines))
    blockers = blocker_keys(issue)
    if blockers:
        answer.findings.append(f"{issue['key']} is blocked by {', '.join(blockers)}.")
    answer.people.append(f"{issue['key']} is assigned to {assignee}.")


def _linked(label: object, item: Data) -> str:
    """The item's name as a Markdown link to it, when the tool result gave its URL."""
    url = item.get("url")
    return f"[{label}]({url})" if isinstance(url, str) and url.startswith("http") else str(label)


def blocker_keys(issue: Data) -> list[str]:
    """The keys of the issues this one is blocked by."""
    links = issue.get("links") or []
    return [
        str(link["key"])
        for link in links
        if isinstance(link, dict) and "blocked by" in str(link.get("relation", "")) and link.get("key")
    ]


def _jira_search(result: Data, answer: _Answer) -> None:
    issues = [hit for hit in result.get("issues") or [] if isinstance(hit, dict)]
    if not issues:
        answer.sections.append("Jira search found no issues.")
        return
    lines = [f"Jira search found {len(issues)} issue(s):"]
    lines += [
        f"- **{_linked(hit.get('key'), hit)}** · {hit.get('summary', '')} — *{hit.get('status', '')}*"
        for hit in issues
    ]
    answer.sections.append("\n".join(lines))


def _jira_count(result: Data, answer: _Answer) -> None:
    answer.sections.append(f"{result['count']} issue(s) match `{result.get('jql', '')}`.")
    answer.findings.append(f"{result['count']} issue(s) match.")


def _jira_transitions(result: Data, answer: _Answer) -> None:
    moves = [move for move in result.get("transitions") or [] if isinstance(move, dict)]
    if not moves:
        answer.sections.append(f"{result['key']} has no transitions open now.")
        return
    listed = ", ".join(f"*{move.get('name')}* (→ {move.get('to_status')})" for move in moves)
    answer.sections.append(f"{result['key']} can move now by: {listed}.")


def _jira_projects(result: Data, answer: _Answer) -> None:
    projects = [project for project in result.get("projects") or [] if isinstance(project, dict)]
    listed = ", ".join(f"**{project.get('key')}** ({project.get('name')})" for project in projects)
    answer.sections.append(f"Jira projects I may read: {listed or 'none'}.")


# -- GitHub ----------------------------------------------------------------------------------


def _pull_request(pr: Data, answer: _Answer) -> None:
    state = "merged" if pr.get("merged") else str(pr.get("state", ""))
    if pr.get("draft"):
        state += " (draft)"
    reviewers = ", ".join(pr.get("requested_reviewers") or [])
    review = f", review requested from {reviewers}" if reviewers else ""
    ref = f"{pr.get('repo')}#{pr['number']}"
    title = f"**{_linked(ref, pr)}** · {pr.get('title', '')}"
    lines = [f"{title} — {state}, by {pr.get('author', '?')}{review}."]
    checks = [check for check in pr.get("checks") or [] if isinstance(check, dict)]
    if checks:
        lines.append("- Checks: " + ", ".join(_check(check) for check in checks))
    answer.sections.append("\n".join(lines))
    answer.findings += _pr_findings(pr)
    answer.people.append(_pr_people(pr))
    answer.needs.append(_pr_needs(pr))


def _check(check: Data) -> str:
    conclusion = check.get("conclusion")
    mark = {"success": "✅", "failure": "❌", None: "⏳"}.get(conclusion, "⚠️")
    return f"{mark} {check.get('name')} ({conclusion or check.get('status', 'pending')})"


def _pr_needs(pr: Data) -> str:
    ref = f"{pr.get('repo')}#{pr['number']}"
    if pr.get("merged"):
        return f"{ref} is already merged."
    checks = [check for check in pr.get("checks") or [] if isinstance(check, dict)]
    failing = [str(c.get("name")) for c in checks if c.get("conclusion") in _FAILED]
    pending = [str(c.get("name")) for c in checks if c.get("conclusion") is None]
    wanted = [f"a passing {name} check" for name in failing] + [f"{name} to finish" for name in pending]
    wanted += [f"a review from {name}" for name in pr.get("requested_reviewers") or []]
    if pr.get("draft"):
        wanted.append("to be marked ready for review")
    return f"{ref} still needs {_join(wanted)}." if wanted else f"{ref} looks ready to merge."


def _pr_people(pr: Data) -> str:
    reviewers = ", ".join(pr.get("requested_reviewers") or [])
    review = f", with review requested from {reviewers}" if reviewers else ""
    return f"{pr.get('repo')}#{pr['number']} is by {pr.get('author', 'someone')}{review}."


def _pr_findings(pr: Data) -> list[str]:
    failing = [
        str(check.get("name"))
        for check in pr.get("checks") or []
        if isinstance(check, dict) and check.get("conclusion") in _FAILED
    ]
    ref = f"{pr.get('repo')}#{pr['number']}"
    if pr.get("merged"):
        return [f"{ref} is merged."]
    if failing:
        return [f"{ref} is still {pr.get('state', 'open')} with failing checks: {', '.join(failing)}."]
    return [f"{ref} is {pr.get('state', 'open')}."]


def _github_issue(issue: Data, answer: _Answer) -> None:
    labels = ", ".join(issue.get("labels") or [])
    label_text = f" [{labels}]" if labels else ""
    ref = f"{issue.get('repo')}#{issue['number']}"
    answer.sections.append(
        f"**{_linked(ref, issue)}** · {issue.get('title', '')}"
        f" — {issue.get('state', '')},"
        f" by {issue.get('author', '?')}{label_text}."
    )


def _github_search(result: Data, answer: _Answer) -> None:
    items = [item for item in result.get("items") or [] if isinstance(item, dict)]
    if not items:
        answer.sections.append("GitHub search found nothing.")
        return
    lines = [f"GitHub search found {len(items)} result(s):"]
    for item in items:
        kind = "PR" if item.get("is_pull_request") else "issue"
        ref = f"{item.get('repo')}#{item.get('number')}"
        lines.append(f"- {kind} **{_linked(ref, item)}** · {item.get('title', '')} — {item.get('state', '')}")
    answer.sections.append("\n".join(lines))


def _pull_list(result: Data, answer: _Answer) -> None:
    pulls = [pull for pull in result.get("items") or [] if isinstance(pull, dict)]
    lines = [f"{len(pulls)} {result.get('state', '')} pull request(s) in {result.get('repo')}:"]
    for pull in pulls:
        reviewers = ", ".join(pull.get("requested_reviewers") or [])
        waiting = f", review requested from {reviewers}" if reviewers else ""
        ref = f"{result.get('repo')}#{pull.get('number')}"
        lines.append(
            f"- **{_linked(ref, pull)}** · {pull.get('title', '')} by {pull.get('author', '?')}{waiting}"
        )
    answer.sections.append("\n".join(lines))


def _comparison(result: Data, answer: _Answer) -> None:
    lines = [
        f"{result.get('repo')} {result.get('base')}...{result.get('head')}: {result.get('status')},"
        f" {result.get('ahead_by', 0)} ahead and {result.get('behind_by', 0)} behind."
    ]
    for commit in result.get("commits") or []:
        if isinstance(commit, dict):
            lines.append(f"- `{str(commit.get('sha', ''))[:7]}` {commit.get('message', '')}")
    answer.sections.append("\n".join(lines))


def _runs_or_jobs(result: Data, answer: _Answer) -> None:
    if isinstance(result.get("jobs"), dict):
        _jobs(result["jobs"], answer)
    if isinstance(result.get("runs"), dict):
        _runs(result["runs"], answer)


def _runs(runs: Data, answer: _Answer) -> None:
    items = [run for run in runs.get("items") or [] if isinstance(run, dict)]
    lines = [f"{len(items)} recent workflow run(s) in {runs.get('repo')}:"]
    for run in items:
        outcome = run.get("conclusion") or run.get("status") or "pending"
        where = f"{run.get('name')} #{run.get('id')} on {run.get('branch')}"
        lines.append(f"- {where} · {run.get('title', '')} — {outcome}")
    answer.sections.append("\n".join(lines))
    failed = [run for run in items if run.get("conclusion") in _FAILED]
    if failed:
        names = ", ".join(f"{run.get('name')} on {run.get('branch')} (run {run.get('id')})" for run in failed)
        answer.findings.append(f"Failed: {names}.")


def _jobs(jobs: Data, answer: _Answer) -> None:
    items = [job for job in jobs.get("items") or [] if isinstance(job, dict)]
    lines = [f"Jobs of run {jobs.get('run_id')} in {jobs.get('repo')}:"]
    for job in items:
        steps = job.get("failed_steps") or []
        failed_at = f", failed at {', '.join(map(str, steps))}" if steps else ""
        outcome = job.get("conclusion") or job.get("status")
        lines.append(f"- {job.get('name')} (job {job.get('id')}) — {outcome}{failed_at}")
    answer.sections.append("\n".join(lines))


def _job_log(log: Data, answer: _Answer) -> None:
    lines = [str(line) for line in log.get("lines") or []][-_LOG_LINES:]
    shown = "\n".join(lines)
    answer.sections.append(
        f"The last lines of job {log.get('job_id')} in {log.get('repo')}:\n```\n{shown}\n```"
    )


# -- anything else (a team's MCP tools) ------------------------------------------------------

_IDENTITY = ("id", "key", "name")
_LABEL = ("title", "summary")
_STATE = ("status", "state")
_SHORT = 60  # longer texts (descriptions, bodies) are left out of a one-line item


def _generic(data: Data, answer: _Answer) -> None:
    """Lists of items as bullet lists, else the object itself as one line."""
    listings = {name: items for name, value in data.items() if (items := _items(value))}
    if not listings:
        answer.sections.append(_item_line(data))
        if _state(data) and _identity(data):
            answer.findings.append(f"{_identity(data)} is {_state(data)}.")
        return
    for name, items in listings.items():
        noun = name.replace("_", " ")
        answer.sections.append("\n".join([f"{len(items)} {noun}:", *(f"- {_item_line(i)}" for i in items)]))
        answer.findings.append(_tally(noun, items))


def _items(value: object) -> list[Data]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _identity(item: Data) -> str:
    return next((str(item[field]) for field in _IDENTITY if _is_short(item.get(field))), "")


def _state(item: Data) -> str:
    return next((str(item[field]) for field in _STATE if _is_short(item.get(field))), "")


def _item_line(item: Data) -> str:
    """``**INC-101** · Checkout latency above 2 s — *open*, severity: SEV-2, notes: ...``"""
    named = [str(item[field]) for field in _LABEL if _is_short(item.get(field))][:1]
    head = " · ".join([f"**{_identity(item)}**" if _identity(item) else "", *named]).strip(" ·")
    shown = {*_IDENTITY, *_LABEL, *_STATE}
    details = [f"*{_state(item)}*"] if _state(item) else []
    details += [
        f"{field.replace('_', ' ')}: {_worded(value)}" for field, value in item.items() if field not in shown
    ]
    details = [detail for detail in details if detail and not detail.endswith(": ")]
    return " — ".join(part for part in (head, ", ".join(details)) if part) or "an item with nothing to show"


def _worded(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(str(part) for part in value if _is_short(part))
    return str(value) if _is_short(value) else ""


def _is_short(value: object) -> bool:
    return (
        isinstance(value, (str, int, float)) and not isinstance(value, bool) and 0 < len(str(value)) <= _SHORT
    )


def _tally(noun: str, items: list[Data]) -> str:
    """How many items there are, and how many in each state, in the order the states first appear."""
    states = [_state(item) for item in items]
    counts = ", ".join(f"{states.count(state)} {state}" for state in dict.fromkeys(s for s in states if s))
    return f"{len(items)} {noun}" + (f": {counts}." if counts else ".")


def _join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


_SHAPES: tuple[tuple[Callable[[Data], bool], Callable[[Data, _Answer], None]], ...] = (
    (lambda d: "key" in d and "status" in d, _jira_issue),
    (lambda d: "jql" in d and "count" in d, _jira_count),
    (lambda d: "jql" in d, _jira_search),
    (lambda d: "key" in d and "transitions" in d, _jira_transitions),
    (lambda d: "projects" in d, _jira_projects),
    (lambda d: "number" in d and "checks" in d, _pull_request),
    (lambda d: "number" in d and "title" in d, _github_issue),
    (lambda d: "items" in d and "query" in d, _github_search),
    (lambda d: "items" in d and "state" in d and "repo" in d, _pull_list),
    (lambda d: "ahead_by" in d, _comparison),
    (lambda d: "runs" in d or "jobs" in d, _runs_or_jobs),
    (lambda d: "lines" in d and "job_id" in d, _job_log),
    (lambda d: True, _generic),
)
