"""What a piece of text names, as the SIMULATED model reads it: pure pattern matching, no model.

``KEY-NUMBER`` keys (a Jira issue's OPS-2, an incident's INC-101: they look the same, the tools'
parameters tell them apart), GitHub references (URLs, ``owner/repo#N``), repositories, commits
(``owner/repo@sha``, bare SHAs), compare ranges (``base...head``), Actions run and job ids, people
of the simulated Jira, project keys, a message to write ("... that the fix is deployed", "INC-101,
Ana is on it"), the imperative verb a request starts with, and the words left over. The planner
decides what to do with them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, TypeVar

from simulators.jira.jql_writer import Person, project_keys, simulated_people

RefKind = Literal["pull", "issue", ""]
_T = TypeVar("_T")

_KEY = re.compile(r"\b[A-Z][A-Z0-9]{1,9}-\d+\b")
_GITHUB_URL = re.compile(r"https://github\.com/([\w.-]+/[\w.-]+)/(pull|issues)/(\d+)")
_ANY_URL = re.compile(r"https?://\S+")
_GITHUB_REF = re.compile(r"(?<![\w/.-])([\w.-]+/[\w.-]+)#(\d+)\b")
_COMMIT = re.compile(r"(?<![\w/.-])([\w.-]+/[\w.-]+)@([0-9a-fA-F]{7,40})\b")
_REPO = re.compile(r"(?<![\w/.:@-])([A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w-]*(?:\.[\w-]+)*)(?![\w/#@-])")
_SHA = re.compile(r"(?<![\w/@-])(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{7,40}\b")
_RANGE = re.compile(r"(?<![\w/.-])([\w./-]+?)\.\.\.?([\w./-]+)")
_RUN_ID = re.compile(r"\b(?:workflow )?run(?: id)?\s*#?(\d{3,})\b", re.IGNORECASE)
_JOB_ID = re.compile(r"\bjob(?: id)?\s*#?(\d{3,})\b", re.IGNORECASE)
_QUOTED = re.compile(r"[\"“]([^\"”]+)[\"”]")
_SAYING = re.compile(
    r"\b(?:that|saying|says|with the text|to say)\b\s+(.+?)[\s.!?]*$", re.IGNORECASE | re.DOTALL
)
_AFTER_COLON = re.compile(r":\s*(.+?)[\s.!?]*$", re.DOTALL)
_AFTER_KEY = re.compile(r"\b[A-Z][A-Z0-9]{1,9}-\d+\s*,\s*(.+?)[\s.!?]*$", re.DOTALL)
_WORD = re.compile(r"[A-Za-z0-9][\w.-]*")
_POLITE = frozenset("please kindly can could would will you go ahead and just now then ok okay hey".split())
# Pairs that look like owner/repo but are ordinary prose or branch names.
_NOT_OWNERS = frozenset("and ci i n bugfix chore feat feature fix hotfix release either text".split())
_STOPWORDS = frozenset(
    "a an and any are about can could did do does for from has have how i in is it me my of on or "
    "please show tell that the there this to was what when where which who why with you".split()
)
_REFERS_BACK = re.compile(r"\b(it|its|that|this|these|those|they|them|their|he|she|the fix|the pr)\b", re.I)


@dataclass(frozen=True, slots=True)
class GitHubRef:
    """An issue or pull request; ``kind`` is what a URL said it is ("" for ``owner/repo#N``)."""

    repo: str
    number: int
    kind: RefKind = ""


@dataclass(frozen=True, slots=True)
class Entities:
    """Everything a text names, each kind in the order it first appears."""

    text: str
    keys: tuple[str, ...] = ()  # KEY-NUMBER: Jira's OPS-2, an incident's INC-101
    refs: tuple[GitHubRef, ...] = ()
    repos: tuple[str, ...] = ()  # named on their own, not as part of a reference
    commits: tuple[tuple[str, str], ...] = ()  # (repo, sha)
    shas: tuple[str, ...] = ()
    ranges: tuple[tuple[str, str], ...] = ()  # (base, head)
    run_ids: tuple[int, ...] = ()
    job_ids: tuple[int, ...] = ()
    people: tuple[Person, ...] = ()
    projects: tuple[str, ...] = ()
    message: str = ""  # what a write should say, when the text says it
    verb: str = ""  # the imperative a request starts with ("comment", "rerun"), else ""
    words: tuple[str, ...] = ()  # the words left when stopwords are gone

    @property
    def all_repos(self) -> tuple[str, ...]:
        """Every repository the text names, on its own or inside a reference or commit."""
        named = [*self.repos, *(ref.repo for ref in self.refs), *(repo for repo, _ in self.commits)]
        return tuple(dict.fromkeys(named))

    @property
    def prose(self) -> str:
        """The text without its links, references and keys: the words a person wrote around them."""
        text = _ANY_URL.sub(" ", self.text)
        for pattern in (_COMMIT, _GITHUB_REF, _RANGE, _KEY):
            text = pattern.sub(" ", text)
        return text

    @property
    def refers_back(self) -> bool:
        """Whether the text points at something said before ("that", "it", "the fix")."""
        return bool(_REFERS_BACK.search(self.text))


def find(text: str) -> Entities:
    """What ``text`` names."""
    refs = _refs(text)
    without_links = _RANGE.sub(" ", _GITHUB_REF.sub(" ", _COMMIT.sub(" ", _ANY_URL.sub(" ", text))))
    return Entities(
        text=text,
        keys=_unique(_KEY.findall(text)),
        refs=refs,
        repos=_unique(repo.rstrip(".") for repo in _REPO.findall(without_links) if _is_repo(repo)),
        commits=_unique((repo, sha.lower()) for repo, sha in _COMMIT.findall(text)),
        shas=_unique(_SHA.findall(_COMMIT.sub(" ", text))),
        ranges=_unique(_RANGE.findall(_ANY_URL.sub(" ", text))),
        run_ids=_unique(int(number) for number in _RUN_ID.findall(text)),
        job_ids=_unique(int(number) for number in _JOB_ID.findall(text)),
        people=_people(text),
        projects=tuple(project_keys(_KEY.sub(" ", text))),
        message=_message(text),
        verb=_verb(text),
        words=tuple(word for word in _WORD.findall(text) if word.lower() not in _STOPWORDS),
    )


def _refs(text: str) -> tuple[GitHubRef, ...]:
    found = [
        GitHubRef(repo, int(number), "pull" if kind == "pull" else "issue")
        for repo, kind, number in _GITHUB_URL.findall(text)
    ]
    found += [GitHubRef(repo, int(number)) for repo, number in _GITHUB_REF.findall(_ANY_URL.sub(" ", text))]
    return _unique(found)


def _is_repo(candidate: str) -> bool:
    owner, _, name = candidate.partition("/")
    plain = ".." not in candidate and "/" not in name
    return plain and owner.lower() not in _NOT_OWNERS and any(c.isalpha() for c in owner)


def _people(text: str) -> tuple[Person, ...]:
    named = []
    for person in _seed_people():
        names = [person.display_name, *person.display_name.split(), person.user_name]
        if any(name and re.search(rf"\b{re.escape(name)}\b", text) for name in names):
            named.append(person)
    return tuple(named)


@functools.cache
def _seed_people() -> tuple[Person, ...]:
    return tuple(simulated_people())


def _message(text: str) -> str:
    """The words a write should carry: quoted, or after "that"/"saying", or after a colon, or
    after the comma that follows a key ("acknowledge INC-101, Ana is on it")."""
    for pattern in (_QUOTED, _SAYING, _AFTER_COLON, _AFTER_KEY):
        match = pattern.search(text)
        if match and match.group(1).strip():
            return " ".join(match.group(1).split())
    return ""


def _verb(text: str) -> str:
    words = [word.lower() for word in re.findall(r"[A-Za-z][\w-]*", text)]
    while words and words[0] in _POLITE:
        words.pop(0)
    return words[0].replace("-", "") if words else ""


def stems(text: str) -> set[str]:
    """Lower-case word stems of ``text`` ("failing" and "failed" -> "fail"), stopwords dropped."""
    found: set[str] = set()
    for word in re.findall(r"[a-z0-9]+", re.sub(r"\bre-(?=\w)", "re", text.lower())):
        if word not in _STOPWORDS:
            found.add(stem(word))
    return found


def stem(word: str) -> str:
    for suffix in ("ing", "ed", "s"):
        if word.endswith(suffix) and not word.endswith("ss") and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def verb_root(word: str) -> str:
    """A verb's root, the same for its forms: "re-running", "rerun" -> "rerun"; "creating" -> "creat"."""
    root = stem(word.lower().replace("-", ""))
    if len(root) > 3 and root[-1] == root[-2]:
        root = root[:-1]
    return root.removesuffix("e") if len(root) > 3 else root


def _unique(items: Iterable[_T]) -> tuple[_T, ...]:
    return tuple(dict.fromkeys(items))
