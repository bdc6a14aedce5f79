"""What the argument of `/jira` or `/gh` asks for: a pure parser, no I/O.

Besides a key, JQL or words (`/jira`) and an item, a repository or a search (`/gh`), each
command has sub-commands for the rest of what the agent's tools read. A sub-command starts with
a keyword that cannot start what the argument meant before, so every older argument keeps its
meaning:

- `/jira count|transitions|projects ...`: a Jira key has a dash and JQL does not start with a
  bare word followed by another bare word; a keyword followed by an operator (`count = 3`) is
  still read as JQL about a field of that name.
- `/gh compare|runs|jobs|log owner/repo ...`: only a keyword alone or followed by a repository
  is a sub-command; `/gh log rotation` is still a search.

A sub-command with arguments of the wrong shape answers its own usage line rather than
guessing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

JIRA_USAGE = (
    "Usage: `/jira OPS-123` for an issue, `/jira project = OPS AND status = Blocked` for a JQL "
    "search, `/jira <words>` to search in plain language, `/jira count <JQL>` for how many, "
    "`/jira transitions OPS-123` for the workflow steps open to an issue, `/jira projects` for the "
    "projects the bot can read."
)
GH_USAGE = (
    "Usage: `/gh owner/repo#42` for a pull request or issue, `/gh owner/repo` for the pull requests "
    "waiting for review, `/gh <search words>`, `/gh compare owner/repo main...branch`, "
    "`/gh runs owner/repo [branch]` for Actions runs, `/gh jobs owner/repo <run id>` for a run's "
    "failed jobs, `/gh log owner/repo <job id>` for the end of a job's log."
)
COUNT_USAGE = "Usage: `/jira count <JQL or words>`, e.g. `/jira count project = OPS AND status = Blocked`."
TRANSITIONS_USAGE = "Usage: `/jira transitions OPS-123`."
COMPARE_USAGE = (
    "Usage: `/gh compare owner/repo base...head`, e.g. `/gh compare acme/payments main...fix/retry`."
)
RUNS_USAGE = (
    "Usage: `/gh runs owner/repo` for the latest Actions runs, `/gh runs owner/repo <branch>` for one branch."
)
JOBS_USAGE = "Usage: `/gh jobs owner/repo <run id>` (the run ids are in `/gh runs owner/repo`)."
LOG_USAGE = "Usage: `/gh log owner/repo <job id>` (the job ids are in `/gh jobs owner/repo <run id>`)."


@dataclass(frozen=True)
class Usage:
    """The argument is empty or a sub-command is malformed: say how to ask."""

    text: str


# -- /jira -----------------------------------------------------------------------------------

JiraRequestKind = Literal["empty", "key", "jql", "text"]

_ISSUE_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]+-\d+$")
_BROWSE_URL = re.compile(r"^https?://\S+/browse/([A-Za-z][A-Za-z0-9_]+-\d+)/?(?:[?#]\S*)?$")
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"' + r"|'(?:[^'\\]|\\.)*'")
# What only JQL says: comparison operators, list and emptiness tests, history operators, ordering.
_JQL_SIGNS = re.compile(
    r"!=|!~|>=|<=|[=~<>]"
    r"|\b(?:not\s+)?in\s*\("
    r"|\bis\s+(?:not\s+)?(?:empty|null)\b"
    r'|\bwas\s+(?:not\s+)?"|\bchanged\s+(?:to|from|by|during|after|before|on)\b'
    r"|^\s*order\s+by\b|\border\s+by\s+\w+\s*(?:asc|desc)?\s*$",
    re.IGNORECASE,
)
# After a keyword, an operator means the keyword was a JQL field name (`count = 3`).
_LEADING_OPERATOR = re.compile(
    r"^(?:[=!~<>]|(?:not\s+)?in\s*\(|not\s+in\b|is\s|was\b|changed\b)", re.IGNORECASE
)


@dataclass(frozen=True)
class JiraKey:
    key: str  # upper-cased


@dataclass(frozen=True)
class JiraJql:
    jql: str


@dataclass(frozen=True)
class JiraWords:
    text: str  # for the JQL translator


@dataclass(frozen=True)
class JiraCount:
    query: str
    is_jql: bool  # False: words for the JQL translator


@dataclass(frozen=True)
class JiraTransitions:
    key: str


@dataclass(frozen=True)
class JiraProjects:
    pass


JiraRequest = JiraKey | JiraJql | JiraWords | JiraCount | JiraTransitions | JiraProjects | Usage


def usage_of(request: JiraRequest | GitHubRequest) -> str | None:
    """The usage line to answer instead, when the argument is empty or a sub-command malformed."""
    return request.text if isinstance(request, Usage) else None


def parse_jira(text: str) -> JiraRequest:
    stripped = text.strip()
    keyword, rest = _split_keyword(stripped)
    sub = _jira_subcommand(keyword.lower(), rest)
    if sub is not None:
        return sub
    kind = classify_jira(stripped)
    if kind == "empty":
        return Usage(JIRA_USAGE)
    if kind == "key":
        return JiraKey(issue_key(stripped))
    return JiraJql(stripped) if kind == "jql" else JiraWords(stripped)


def _jira_subcommand(keyword: str, rest: str) -> JiraRequest | None:
    if rest and _LEADING_OPERATOR.match(rest):
        return None
    if keyword == "count":
        kind = classify_jira(rest)
        if kind in ("empty", "key"):
            return Usage(COUNT_USAGE)
        return JiraCount(rest, is_jql=kind == "jql")
    if keyword == "transitions":
        return JiraTransitions(issue_key(rest)) if classify_jira(rest) == "key" else Usage(TRANSITIONS_USAGE)
    if keyword == "projects" and not rest:
        return JiraProjects()
    # "projects with open bugs" is still words for the translator.
    return None


def classify_jira(text: str) -> JiraRequestKind:
    """Is the /jira argument an issue key (or browse URL), JQL, or words for the translator?"""
    stripped = text.strip()
    if not stripped:
        return "empty"
    if _ISSUE_KEY.match(stripped) or _BROWSE_URL.match(stripped):
        return "key"
    # Operators inside quoted values ("a = b" as a phrase) do not make the text JQL.
    unquoted = _QUOTED.sub('""', stripped)
    return "jql" if _JQL_SIGNS.search(unquoted) else "text"


def issue_key(text: str) -> str:
    """The key in ``OPS-2`` or ``https://site/browse/OPS-2``, upper-cased."""
    stripped = text.strip()
    match = _BROWSE_URL.match(stripped)
    return (match.group(1) if match else stripped).upper()


# -- /gh -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GitHubItem:
    repo: str
    number: int


@dataclass(frozen=True)
class GitHubRepo:
    repo: str


@dataclass(frozen=True)
class GitHubQuery:
    query: str


@dataclass(frozen=True)
class GitHubCompare:
    repo: str
    base: str
    head: str


@dataclass(frozen=True)
class GitHubRuns:
    repo: str
    branch: str | None = None


@dataclass(frozen=True)
class GitHubJobs:
    repo: str
    run_id: int


@dataclass(frozen=True)
class GitHubLog:
    repo: str
    job_id: int


GitHubRequest = (
    GitHubItem | GitHubRepo | GitHubQuery | GitHubCompare | GitHubRuns | GitHubJobs | GitHubLog | Usage
)

_REPO = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}"
_ITEM = re.compile(rf"^({_REPO})#(\d+)$")
_REPO_ONLY = re.compile(rf"^({_REPO})$")
_ITEM_URL = re.compile(rf"^https?://[^/\s]+/({_REPO})/(?:pull|issues)/(\d+)(?:[/?#]\S*)?$")
# Git forbids ".." inside a ref name, so the first "..." separates base from head.
_REF = r"[A-Za-z0-9_./-]{1,200}"
_BASE_HEAD = re.compile(rf"^({_REF}?)\.\.\.({_REF})$")
_REF_ONLY = re.compile(rf"^{_REF}$")
_ID = re.compile(r"^\d{1,18}$")
_GH_USAGES = {"compare": COMPARE_USAGE, "runs": RUNS_USAGE, "jobs": JOBS_USAGE, "log": LOG_USAGE}


def parse_github(text: str) -> GitHubRequest:
    """A sub-command, ``owner/repo#N`` (or its URL), ``owner/repo``; anything else is a search."""
    stripped = text.strip()
    if not stripped:
        return Usage(GH_USAGE)
    words = stripped.split()
    keyword = words[0].lower()
    if keyword in _GH_USAGES and (len(words) == 1 or _is_repo(words[1])):
        return _github_subcommand(keyword, words[1:]) or Usage(_GH_USAGES[keyword])
    item = _ITEM.match(stripped) or _ITEM_URL.match(stripped)
    if item:
        return GitHubItem(item.group(1), int(item.group(2)))
    if _is_repo(stripped):
        return GitHubRepo(stripped)
    return GitHubQuery(stripped)


def _github_subcommand(keyword: str, args: list[str]) -> GitHubRequest | None:
    match keyword, args:
        case "compare", [repo, base_head]:
            refs = _BASE_HEAD.match(base_head)
            return GitHubCompare(repo, refs.group(1), refs.group(2)) if refs else None
        case "runs", [repo]:
            return GitHubRuns(repo)
        case "runs", [repo, branch] if _REF_ONLY.match(branch):
            return GitHubRuns(repo, branch)
        case "jobs", [repo, run_id] if _ID.match(run_id):
            return GitHubJobs(repo, int(run_id))
        case "log", [repo, job_id] if _ID.match(job_id):
            return GitHubLog(repo, int(job_id))
    return None


def _is_repo(text: str) -> bool:
    return bool(_REPO_ONLY.match(text)) and not text.endswith((".", "/"))


def _split_keyword(text: str) -> tuple[str, str]:
    parts = text.split(maxsplit=1)
    if not parts:
        return "", ""
    return parts[0], parts[1].strip() if len(parts) > 1 else ""
