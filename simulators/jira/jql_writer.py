"""How the SIMULATED model writes JQL from a person's words: a few fixed rules, nothing learned.

``open bugs in OPS assigned to Dana`` becomes
``project = OPS AND issuetype = Bug AND status != Done AND assignee = "Dana Scully"``: upper-case
words are project keys, issue types, statuses and priorities are spotted by word, and people are
matched by full, first, last or user name against the simulated Jira's users. Words that match
no rule become a text search, so every query is bounded.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from simulators.jira.simulator import load_seed

_PROJECT = re.compile(r"\b[A-Z][A-Z0-9_]{1,9}\b(?!-\d)")
_NOT_PROJECTS = frozenset("AND API ASAP CI EMPTY ID IN IS JIRA JQL NOT OK OR PR PRS QA SLA UI UX".split())
_TYPES = (
    (re.compile(r"\bbugs?\b", re.I), "Bug"),
    (re.compile(r"\bstor(?:y|ies)\b", re.I), "Story"),
    (re.compile(r"\btasks?\b", re.I), "Task"),
    (re.compile(r"\bepics?\b", re.I), "Epic"),
)
_STATUSES = (
    (re.compile(r"\bin[ -]progress\b", re.I), 'status = "In Progress"', "in progress"),
    (re.compile(r"\bblocked\b", re.I), "status = Blocked", "blocked"),
    (re.compile(r"\bto[ -]?do\b", re.I), 'status = "To Do"', "to do"),
    (re.compile(r"\b(?:open|unresolved|not done|outstanding|pending)\b", re.I), "status != Done", "open"),
    (re.compile(r"\b(?:done|closed|resolved|finished)\b", re.I), "status = Done", "done"),
)
_PRIORITY = re.compile(r"\b(highest|high|medium|low|lowest)[- ]priority\b", re.I)
_UNASSIGNED = re.compile(r"\bunassigned\b", re.I)
_MINE = re.compile(r"\b(?:assigned to me|my|mine)\b", re.I)
_ASSIGNED_TO = re.compile(r"\bassigned to ([A-Za-z][\w.'-]*(?: [A-Z][\w.'-]*)?)")
_WORD = re.compile(r"[A-Za-z0-9][\w.-]*")
_STOPWORDS = frozenset(
    "a about all an and any are assigned at by can could did do does find for from give has have how "
    "i in is issue issues it jira list me of on or please project projects show that the there this "
    "tickets ticket to was what when where which who with".split()
)
_MAX_TEXT_WORDS = 6


@dataclass(frozen=True)
class Person:
    display_name: str
    user_name: str = ""
    # Jira Cloud's id for the person (Data Center knows them by user name); not part of who they are.
    account_id: str = field(default="", compare=False)

    def answers_to(self, words: str) -> bool:
        wanted = words.strip().lower()
        names = self.display_name.lower().split()
        return wanted in (self.display_name.lower(), self.user_name.lower(), *names)


@dataclass(frozen=True)
class Draft:
    jql: str
    explanation: str


def simulated_people() -> list[Person]:
    """The users of the simulated Jira's seed."""
    return [
        Person(user["displayName"], user.get("name", ""), user.get("accountId", ""))
        for user in load_seed()["users"]
    ]


def write_jql(text: str, people: Sequence[Person] | None = None, *, scope: Sequence[str] = ()) -> Draft:
    """The JQL (and a plain-words explanation) for a request; `scope`: projects to default to."""
    known = simulated_people() if people is None else list(people)
    clauses: list[str] = []
    said: list[str] = []
    named = _projects(text, scope, clauses, said)
    before = len(clauses)
    _types(text, clauses, said)
    _status(text, clauses, said)
    _assignee(text, known, clauses, said)
    _priority(text, clauses, said)
    if not named and len(clauses) == before:
        phrase = " ".join(_free_words(text)[:_MAX_TEXT_WORDS]) or text.strip()[:60] or "issue"
        escaped = phrase.replace("\\", "\\\\").replace('"', '\\"')
        clauses.append(f'text ~ "{escaped}"')
        said.append(f"mentioning {phrase}")
    return Draft(" AND ".join(clauses), "Issues " + ", ".join(said) + ".")


def project_keys(text: str) -> list[str]:
    """The project keys a request names: its upper-case words that are not common acronyms."""
    return list(dict.fromkeys(key for key in _PROJECT.findall(text) if key not in _NOT_PROJECTS))


def _projects(text: str, scope: Sequence[str], clauses: list[str], said: list[str]) -> bool:
    """Adds the project clause; True when the request itself named the projects."""
    named = project_keys(text)
    keys = named or list(scope)
    if len(keys) == 1:
        clauses.append(f"project = {keys[0]}")
    elif keys:
        clauses.append(f"project in ({', '.join(keys)})")
    if keys:
        said.append("in " + ", ".join(keys))
    return bool(named)


def _types(text: str, clauses: list[str], said: list[str]) -> None:
    types = [name for pattern, name in _TYPES if pattern.search(text)]
    if len(types) == 1:
        clauses.append(f"issuetype = {types[0]}")
    elif types:
        clauses.append(f"issuetype in ({', '.join(types)})")
    if types:
        said.append("of type " + ", ".join(types))


def _status(text: str, clauses: list[str], said: list[str]) -> None:
    for pattern, clause, words in _STATUSES:
        if pattern.search(text):
            clauses.append(clause)
            said.append(words)
            return


def _assignee(text: str, people: Sequence[Person], clauses: list[str], said: list[str]) -> None:
    if _UNASSIGNED.search(text):
        clauses.append("assignee is EMPTY")
        said.append("assigned to nobody")
        return
    if _MINE.search(text):
        clauses.append("assignee = currentUser()")
        said.append("assigned to you")
        return
    match = _ASSIGNED_TO.search(text)
    if match is None:
        return
    words = match.group(1)
    # "Dana Scully" or "Dana" alone: try the two words first, then the first one.
    person = next((p for p in people if p.answers_to(words)), None) or next(
        (p for p in people if p.answers_to(words.split()[0])), None
    )
    name = person.display_name if person else words.split()[0]
    clauses.append(f'assignee = "{name}"')
    said.append(f"assigned to {name}")


def _priority(text: str, clauses: list[str], said: list[str]) -> None:
    match = _PRIORITY.search(text)
    if match:
        level = match.group(1).capitalize()
        clauses.append(f"priority = {level}")
        said.append(f"with {level} priority")


def _free_words(text: str) -> list[str]:
    return [word for word in _WORD.findall(text) if word.lower() not in _STOPWORDS]


_SCOPE_LINE = re.compile(r"^Projects:\s*(.+)$", re.MULTILINE)
_REQUEST_LINE = re.compile(r"^Request:\s*(.*)$", re.MULTILINE | re.DOTALL)


def draft_for(prompt: str) -> Draft:
    """The draft for a translator prompt (``Projects: A, B`` line, then ``Request: ...``)."""
    scope_line = _SCOPE_LINE.search(prompt)
    scope = [key.strip() for key in scope_line.group(1).split(",") if key.strip()] if scope_line else []
    request = _REQUEST_LINE.search(prompt)
    return write_jql(request.group(1) if request else prompt, scope=scope)
