"""Cards: what a direct command or an unfurl shows, independent of where it is shown.

A card is built from the integrations' result models and holds raw, untrusted text; the
renderers (bot/slack/blocks/cards.py for Slack, bot/console/cards.py for a terminal) escape it and decide
which URLs may become links. Builders are pure: no I/O, no Slack.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from integrations.github.models import (
    CheckRun,
    Comparison,
    FilesSummary,
    GitHubIssue,
    PullRequest,
    PullSummary,
    SearchResult,
)
from integrations.jira.models import (
    JiraIssue,
    JiraProject,
    JiraSearchHit,
    JiraSearchResult,
    JiraTransition,
)

CardKind = Literal[
    "jira_issue",
    "jira_list",
    "jira_count",
    "jira_transitions",
    "jira_projects",
    "github_pull",
    "github_issue",
    "github_list",
    "github_compare",
    "github_runs",
    "github_jobs",
    "github_log",
    "notice",
]

# Check-run conclusions that make CI red; "neutral" and "skipped" do not.
FAILED_CONCLUSIONS = frozenset({"failure", "timed_out", "cancelled", "action_required", "startup_failure"})
UNASSIGNED = "Unassigned"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class CardField(_Frozen):
    label: str
    value: str


class CardLink(_Frozen):
    label: str
    url: str


class CardRow(_Frozen):
    """One line of a list: ``prefix <key|url> text — detail``."""

    key: str
    url: str = ""
    text: str = ""
    detail: str = ""
    prefix: str = ""


class NextPage(_Frozen):
    """Where the next page of a Jira list starts: the query and Jira's page token."""

    jql: str
    token: str


class Card(_Frozen):
    kind: CardKind
    title: str  # e.g. "OPS-2: Roll out payments v2"; the notice text for a notice
    url: str = ""
    fields: list[CardField] = Field(default_factory=list)
    rows_heading: str = ""
    rows: list[CardRow] = Field(default_factory=list)
    empty: str = ""  # said instead of rows when a list has none
    query: str = ""  # the JQL / search query a list answers, shown so people can reuse it
    code: str = ""  # preformatted lines (a log tail), shown as a code block
    footer: str = ""
    button: CardLink | None = None
    next_page: NextPage | None = None

    @property
    def summary(self) -> str:
        """One line for notifications and fallbacks."""
        return self.title


def notice_card(text: str) -> Card:
    return Card(kind="notice", title=text)


# -- Jira ------------------------------------------------------------------------------------


def jira_issue_card(issue: JiraIssue) -> Card:
    fields = [
        CardField(label="Status", value=issue.status or "—"),
        CardField(label="Assignee", value=issue.assignee or UNASSIGNED),
        CardField(label="Priority", value=issue.priority or "—"),
        CardField(label="Type", value=issue.issue_type or "—"),
    ]
    if issue.sprint is not None:
        state = f" ({issue.sprint.state})" if issue.sprint.state else ""
        fields.append(CardField(label="Sprint", value=f"{issue.sprint.name}{state}"))
    if issue.fix_versions:
        fields.append(CardField(label="Fix versions", value=", ".join(issue.fix_versions)))
    if issue.parent:
        fields.append(CardField(label="Parent", value=issue.parent))
    rows = [
        CardRow(
            prefix=link.relation,
            key=link.key,
            url=_sibling_url(issue, link.key),
            text=link.summary,
            detail=link.status,
        )
        for link in issue.links
    ]
    rows += [
        CardRow(
            prefix="subtask",
            key=sub.key,
            url=_sibling_url(issue, sub.key),
            text=sub.summary,
            detail=sub.status,
        )
        for sub in issue.subtasks
    ]
    return Card(
        kind="jira_issue",
        title=f"{issue.key}: {issue.summary}",
        url=issue.url,
        fields=fields,
        rows_heading="Links" if rows else "",
        rows=rows,
        footer=_updated(issue.updated),
        button=CardLink(label="Open in Jira", url=issue.url),
    )


def jira_list_card(result: JiraSearchResult, *, next_token: str | None, title: str = "") -> Card:
    """A page of search hits; ``next_token`` (when the search has more) becomes a "More" button."""
    rows = [_jira_row(hit) for hit in result.issues]
    more = NextPage(jql=result.jql, token=next_token) if next_token else None
    return Card(
        kind="jira_list",
        title=title or count_title(len(rows), "issue", more is not None),
        rows=rows,
        empty="No issues match.",
        query=result.jql,
        next_page=more,
    )


def jira_count_card(jql: str, count: int, *, estimate: bool) -> Card:
    """How many issues match ``jql`` (the scoped JQL actually counted, shown for reuse)."""
    about = "About " if estimate and count else ""
    noun = "issue" if count == 1 else "issues"
    title = f"{about}{count:,} {noun}" if count else "No issues"
    return Card(
        kind="jira_count",
        title=f"{title} match",
        query=jql,
        footer="/jira with this JQL lists them.",
    )


def jira_transitions_card(key: str, url: str, transitions: Sequence[JiraTransition]) -> Card:
    """The workflow steps open to an issue now; the bot reads them, it does not move the issue."""
    rows = [
        CardRow(key=step.name, detail=f"to {step.to_status}" if step.to_status else "")
        for step in transitions
    ]
    return Card(
        kind="jira_transitions",
        title=f"{key}: {count_title(len(rows), 'transition', False).lower()} available",
        url=url,
        rows=rows,
        empty="No transition is open to the bot on this issue now.",
        button=CardLink(label="Open in Jira", url=url) if url else None,
    )


def jira_projects_card(projects: Sequence[JiraProject]) -> Card:
    rows = [CardRow(key=project.key, url=project.url, text=project.name) for project in projects]
    return Card(
        kind="jira_projects",
        title=f"{count_title(len(rows), 'Jira project', False)} the bot can read",
        rows=rows,
        empty="The bot cannot read any Jira project.",
    )


def _jira_row(hit: JiraSearchHit) -> CardRow:
    detail = " · ".join(part for part in (hit.status, hit.assignee or UNASSIGNED, hit.priority) if part)
    return CardRow(key=hit.key, url=hit.url, text=hit.summary, detail=detail)


def _sibling_url(issue: JiraIssue, key: str) -> str:
    # The client builds browse URLs as {site}/browse/{KEY}; a linked issue lives on the same site.
    site, sep, _ = issue.url.rpartition("/browse/")
    return f"{site}/browse/{key}" if sep else ""


# -- GitHub ----------------------------------------------------------------------------------


def github_pull_card(pull: PullRequest) -> Card:
    fields = [
        CardField(label="State", value=pull_state(pull)),
        CardField(label="Author", value=pull.author or "—"),
        CardField(label="Review", value=review_line(pull)),
        CardField(label="CI", value=pull_ci_line(pull)),
        CardField(label="Branch", value=f"{pull.head} → {pull.base}" if pull.head else "—"),
    ]
    if pull.files.changed_files:
        fields.append(CardField(label="Files", value=files_line(pull)))
    if pull.state == "open" and not pull.merged:
        fields.append(CardField(label="Mergeable", value=_mergeable(pull)))
    return Card(
        kind="github_pull",
        title=f"{pull.repo}#{pull.number}: {pull.title}",
        url=pull.url,
        fields=fields,
        footer=_updated(pull.updated_at),
        button=CardLink(label="Open on GitHub", url=pull.url),
    )


def github_issue_card(issue: GitHubIssue) -> Card:
    fields = [
        CardField(label="State", value=issue.state),
        CardField(label="Author", value=issue.author or "—"),
        CardField(label="Assignees", value=", ".join(issue.assignees) or UNASSIGNED),
        CardField(label="Comments", value=str(issue.comments)),
    ]
    if issue.labels:
        fields.append(CardField(label="Labels", value=", ".join(issue.labels)))
    return Card(
        kind="github_issue",
        title=f"{issue.repo}#{issue.number}: {issue.title}",
        url=issue.url,
        fields=fields,
        footer=_updated(issue.updated_at),
        button=CardLink(label="Open on GitHub", url=issue.url),
    )


def github_search_card(result: SearchResult) -> Card:
    rows = [
        CardRow(
            key=f"{hit.repo}#{hit.number}",
            url=hit.url,
            text=hit.title,
            detail=" · ".join(
                part for part in ("PR" if hit.is_pull_request else "issue", hit.state, hit.author) if part
            ),
        )
        for hit in result.items
    ]
    more = result.total_count > len(rows)
    title = (
        f"{len(rows)} of {result.total_count:,} results" if more else count_title(len(rows), "result", False)
    )
    return Card(kind="github_list", title=title, rows=rows, empty="Nothing matches.", query=result.query)


def github_review_queue_card(repo: str, pulls: Sequence[PullSummary]) -> Card:
    """The open pull requests of ``repo`` that are waiting for a review, in the order given."""
    waiting = [pull for pull in pulls if pull.awaiting_review]
    rows = [
        CardRow(
            key=f"#{pull.number}",
            url=pull.url,
            text=pull.title,
            detail=" · ".join(part for part in (pull.author, _waiting_on(pull)) if part),
        )
        for pull in waiting
    ]
    return Card(
        kind="github_list",
        title=f"{repo}: {count_title(len(rows), 'pull request', False).lower()} waiting for review",
        rows=rows,
        empty="No open pull requests are waiting for review.",
    )


def github_compare_card(comparison: Comparison) -> Card:
    """How head differs from base: the verdict, counts, files, and the newest commits first."""
    fields = [
        CardField(label="Status", value=_compare_status(comparison)),
        CardField(label="Commits", value=f"{comparison.ahead_by} ahead, {comparison.behind_by} behind"),
    ]
    if comparison.files.changed_files:
        fields.append(CardField(label="Files", value=files_summary_line(comparison.files)))
    rows = [
        CardRow(key=commit.sha[:7], url=commit.url, text=commit.message, detail=commit.author)
        for commit in reversed(comparison.commits)
    ]
    shown_all = len(rows) >= comparison.total_commits
    return Card(
        kind="github_compare",
        title=f"{comparison.repo}: {comparison.base}...{comparison.head}",
        url=comparison.url,
        fields=fields,
        rows_heading=("Commits" if shown_all else f"Newest {len(rows)} of {comparison.total_commits} commits")
        if rows
        else "",
        rows=rows,
        button=CardLink(label="Open on GitHub", url=comparison.url) if comparison.url else None,
    )


def _compare_status(comparison: Comparison) -> str:
    head, base = comparison.head, comparison.base
    if comparison.status == "identical":
        return "identical"
    if comparison.status == "ahead":
        return f"{head} is ahead of {base}"
    if comparison.status == "behind":
        return f"{head} is behind {base}"
    if comparison.status == "diverged":
        return f"{head} and {base} have diverged"
    return comparison.status or "—"


def pull_state(pull: PullRequest) -> str:
    if pull.merged:
        return "merged"
    if pull.state == "open" and pull.draft:
        return "draft"
    return pull.state


def review_line(pull: PullRequest) -> str:
    """The review decision, who made it, and who is still asked."""
    by = {state: [r.reviewer for r in pull.reviews if r.state == state] for state in _DECISIONS}
    parts: list[str] = []
    if pull.review_state == "changes_requested":
        parts.append(_who("changes requested", by["CHANGES_REQUESTED"]))
    elif pull.review_state == "approved":
        parts.append(_who("approved", by["APPROVED"]))
    waiting = [*pull.requested_reviewers, *pull.requested_teams]
    if waiting:
        parts.append(f"requested from {', '.join(waiting)}")
    elif pull.review_state == "review_required":
        parts.append("review required")
    return "; ".join(parts) or "no review requested"


_DECISIONS = ("APPROVED", "CHANGES_REQUESTED")


def _who(decision: str, reviewers: list[str]) -> str:
    return f"{decision} by {', '.join(reviewers)}" if reviewers else decision


def pull_ci_line(pull: PullRequest) -> str:
    """Check runs and commit statuses together (the client's summary); the runs alone without it."""
    return pull.ci.text if pull.ci.state != "none" else ci_line(pull.checks)


def files_line(pull: PullRequest) -> str:
    return files_summary_line(pull.files)


def files_summary_line(files: FilesSummary) -> str:
    plural = "file" if files.changed_files == 1 else "files"
    return f"{files.changed_files} {plural}, +{files.additions} −{files.deletions}"


def ci_line(checks: Iterable[CheckRun]) -> str:
    """``passing`` / ``failing: name, name`` / ``running: 2 of 5 done`` / ``no checks``."""
    runs = list(checks)
    if not runs:
        return "no checks"
    failed = [run.name for run in runs if run.conclusion in FAILED_CONCLUSIONS]
    if failed:
        return f"failing: {', '.join(failed)}"
    done = sum(1 for run in runs if run.status == "completed")
    if done < len(runs):
        return f"running: {done} of {len(runs)} done"
    return "passing"


def _waiting_on(pull: PullSummary) -> str:
    waiting = [*pull.requested_reviewers, *pull.requested_teams]
    return f"waiting on {', '.join(waiting)}" if waiting else ""


# GitHub's mergeable_state, said for people; "unstable" (checks failing) is left to the CI line.
_MERGE_STATES = {
    "dirty": "no (conflicts)",
    "blocked": "blocked (required reviews or checks)",
    "behind": "behind the base branch",
    "draft": "no (draft)",
}


def _mergeable(pull: PullRequest) -> str:
    said = _MERGE_STATES.get(pull.mergeable_state)
    if said:
        return said
    if pull.mergeable is None:
        return "not computed yet"
    return "yes" if pull.mergeable else "no (conflicts)"


# -- shared ----------------------------------------------------------------------------------


def count_title(count: int, noun: str, more: bool) -> str:
    """``No issues`` / ``1 issue`` / ``3 issues`` / ``First 10 issues`` (when there are more)."""
    if count == 0:
        return f"No {noun}s"
    plural = noun if count == 1 else f"{noun}s"
    return f"First {count} {plural}" if more else f"{count} {plural}"


def _updated(timestamp: str) -> str:
    when = short_time(timestamp)
    return f"Updated {when}" if when else ""


def short_time(timestamp: str) -> str:
    """``2026-11-20T08:55:31.000+0000`` -> ``2026-11-20 08:55 UTC``; unparsable text is kept."""
    if not timestamp:
        return ""
    try:
        moment = datetime.fromisoformat(timestamp)
    except ValueError:
        return timestamp
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M")
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
