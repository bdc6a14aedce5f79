"""Status words: what the thread's status line says while the agent works on a tool step.

A person reads "Reading OPS-2…" or "Checking CI for acme/payments…", not a tool's name. The
words come from the step's tool name and arguments (a pure mapping, nothing here calls Slack);
a tool this table does not know (a team's MCP server, say) reads "Using <its name>…". The
arguments are the model's, so they are escaped, and every status fits Slack's 50-character
limit on a ``loading_messages`` entry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from bot.events import ToolStarted
from bot.text import escape_clipped

LOADING_LIMIT = 50  # Slack's limit on each assistant.threads.setStatus loading message
ELLIPSIS = "…"

Args = Mapping[str, object]


def _text(args: Args, name: str, default: str = "") -> str:
    value = args.get(name)
    return default if value is None or value == "" else str(value)


def _pull(args: Args) -> str:
    return f"{_text(args, 'repo', 'a repository')}#{_text(args, 'number', '?')}"


def _runs(args: Args) -> str:
    repo = _text(args, "repo", "a repository")
    if args.get("run_id") is not None:
        return f"Reading CI run {_text(args, 'run_id')} of {repo}"
    branch = _text(args, "branch")
    return f"Checking CI for {repo}" + (f" on {branch}" if branch else "")


_WORDS: dict[str, Callable[[Args], str]] = {
    "jira_get_issue": lambda a: f"Reading {_text(a, 'key', 'a Jira issue')}",
    "jira_search": lambda a: "Searching Jira",
    "jira_count": lambda a: "Counting Jira issues",
    "jira_transitions": lambda a: f"Checking the workflow of {_text(a, 'key', 'an issue')}",
    "jira_projects": lambda a: "Listing Jira projects",
    "github_get_pull_request": lambda a: f"Checking {_pull(a)} and its CI",
    "github_get_issue": lambda a: f"Reading {_pull(a)}",
    "github_search": lambda a: "Searching GitHub",
    "github_list_pull_requests": lambda a: f"Listing pull requests of {_text(a, 'repo', 'a repository')}",
    "github_compare": lambda a: f"Comparing branches of {_text(a, 'repo', 'a repository')}",
    "github_workflow_runs": _runs,
    "github_job_log": lambda a: f"Reading a CI log of {_text(a, 'repo', 'a repository')}",
    "jira_create_issue": lambda a: f"Drafting a new issue in {_text(a, 'project', 'Jira')}",
    "jira_add_comment": lambda a: f"Drafting a comment on {_text(a, 'key', 'an issue')}",
    "jira_transition": lambda a: f"Drafting a transition of {_text(a, 'key', 'an issue')}",
    "jira_assign": lambda a: f"Drafting an assignment of {_text(a, 'key', 'an issue')}",
    "github_create_issue": lambda a: f"Drafting a new issue in {_text(a, 'repo', 'GitHub')}",
    "github_comment": lambda a: f"Drafting a comment on {_pull(a)}",
    "github_rerun_failed_jobs": lambda a: f"Drafting a CI re-run in {_text(a, 'repo', 'GitHub')}",
}


def step_words(event: ToolStarted) -> str:
    """What the agent is doing in this step, for a person: "Reading OPS-2…" (escaped, ≤50 chars)."""
    words = _WORDS.get(event.name)
    plain = words(event.arguments) if words is not None else f"Using {event.name}"
    return escape_clipped(plain + ELLIPSIS, LOADING_LIMIT)  # a clipped one ends in "…" too
