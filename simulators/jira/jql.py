"""A small JQL subset for the SIMULATED Jira: enough for the demo and the tests.

Supported: ``AND``, ``OR``, ``NOT`` and parentheses; ``=``, ``!=``, ``IN``, ``NOT IN``, ``~``,
``!~``, ``IS [NOT] EMPTY`` on project, key/issuekey, status, assignee, reporter, priority,
issuetype/type, labels, fixVersion, parent, and ``~`` on text/summary/description/comment; ``currentUser()``;
``ORDER BY`` is accepted and ignored. Anything else is a ``JqlError`` whose message reads like
Jira's. A query without any restriction is refused, as the enhanced search does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Issue = Mapping[str, Any]  # a seed issue record (see simulators/data/jira_issues.json)
Predicate = Callable[[Issue], bool]

UNBOUNDED = "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
_TOKEN = re.compile(
    r"""\s*(?:(?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(?P<op>!=|!~|=|~|\(|\)|,)|(?P<word>[^\s=!~(),"']+))"""
)
_EQUALITY_FIELDS = {
    "project": "project",
    "key": "key",
    "issuekey": "key",
    "status": "status",
    "assignee": "assignee",
    "reporter": "reporter",
    "priority": "priority",
    "issuetype": "issuetype",
    "type": "issuetype",
    "labels": "labels",
    "fixversion": "fix_versions",
    "parent": "parent",
}
_TEXT_FIELDS = ("text", "summary", "description", "comment")


class JqlError(ValueError):
    """The query is not valid (or not in the simulated subset); the message is Jira-like."""


@dataclass(frozen=True)
class Context:
    current_user: str  # display name that currentUser() stands for
    aliases: Mapping[str, str]  # accountId / email -> display name
    known: Mapping[str, frozenset[str]]  # attribute -> its valid values (lower case), where checked


def parse(jql: str, context: Context) -> Predicate:
    """Compile ``jql`` into a predicate over seed issues."""
    restriction = re.split(r"\border\s+by\b", jql, maxsplit=1, flags=re.IGNORECASE)[0]
    tokens = _tokenize(restriction)
    if not tokens:
        raise JqlError(UNBOUNDED)
    parser = _Parser(tokens, context)
    predicate = parser.expression()
    if not parser.done():
        raise JqlError(f"Error in the JQL Query: unexpected {parser.peek()!r}.")
    return predicate


def _tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    position = 0
    while position < len(text):
        if not text[position:].strip():
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise JqlError(
                f"Error in the JQL Query: the character {text[position]!r} is a reserved JQL character."
            )
        tokens.append(match.group(match.lastgroup or "word"))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[str], context: Context) -> None:
        self._tokens = tokens
        self._at = 0
        self._context = context

    def done(self) -> bool:
        return self._at >= len(self._tokens)

    def peek(self) -> str:
        return self._tokens[self._at] if not self.done() else ""

    def _next(self) -> str:
        if self.done():
            raise JqlError("Error in the JQL Query: the query ended unexpectedly.")
        self._at += 1
        return self._tokens[self._at - 1]

    def _accept(self, word: str) -> bool:
        if self.peek().lower() == word:
            self._at += 1
            return True
        return False

    def expression(self) -> Predicate:
        terms = [self._term()]
        while self._accept("or"):
            terms.append(self._term())
        return lambda issue: any(term(issue) for term in terms)

    def _term(self) -> Predicate:
        factors = [self._factor()]
        while self._accept("and"):
            factors.append(self._factor())
        return lambda issue: all(factor(issue) for factor in factors)

    def _factor(self) -> Predicate:
        if self._accept("not"):
            inner = self._factor()
            return lambda issue: not inner(issue)
        if self._accept("("):
            inner = self.expression()
            if not self._accept(")"):
                raise JqlError("Error in the JQL Query: expecting ')'.")
            return inner
        return self._clause()

    def _clause(self) -> Predicate:
        field = self._next().lower()
        operator = self._operator()
        if field in _TEXT_FIELDS and operator in ("~", "!~"):
            words = _words(self._value())
            matches = _text_matcher(field, words)
            return matches if operator == "~" else (lambda issue: not matches(issue))
        if field not in _EQUALITY_FIELDS:
            raise JqlError(f"Field '{field}' does not exist or you do not have permission to view it.")
        attribute = _EQUALITY_FIELDS[field]
        if operator in ("is", "is not"):
            if self._next().lower() not in ("empty", "null"):
                raise JqlError("Error in the JQL Query: expecting EMPTY or NULL after IS.")
            has_value = _has_value(attribute)
            return (lambda issue: not has_value(issue)) if operator == "is" else has_value
        if operator in ("=", "!="):
            values = [self._value()]
        elif operator in ("in", "not in"):
            values = self._list()
        else:
            raise JqlError(f"The operator '{operator}' is not supported by the field '{field}'.")
        self._check_known(field, attribute, values)
        matches = _equality_matcher(attribute, {self._canonical(value) for value in values})
        return matches if operator in ("=", "in") else (lambda issue: not matches(issue))

    def _check_known(self, field: str, attribute: str, values: list[str]) -> None:
        known = self._context.known.get(attribute)
        unknown = [value for value in values if known is not None and value.lower() not in known]
        if unknown:
            raise JqlError(f"The value '{unknown[0]}' does not exist for the field '{field}'.")

    def _operator(self) -> str:
        raw = self._next()
        token = raw.lower()
        if token == "not" and self._accept("in"):
            return "not in"
        if token == "is":
            return "is not" if self._accept("not") else "is"
        if token in ("=", "!=", "~", "!~", "in"):
            return token
        raise JqlError(f"Error in the JQL Query: expecting an operator but got {raw!r}.")

    def _value(self) -> str:
        token = self._next()
        if token[:1] in "\"'":
            return re.sub(r"\\(.)", r"\1", token[1:-1])
        if self.peek() == "(" and self._tokens[self._at + 1 : self._at + 2] == [")"]:
            self._at += 2
            return token + "()"
        return token

    def _list(self) -> list[str]:
        if not self._accept("("):
            raise JqlError("Error in the JQL Query: expecting '(' after IN.")
        values = [self._value()]
        while self._accept(","):
            values.append(self._value())
        if not self._accept(")"):
            raise JqlError("Error in the JQL Query: expecting ')' to close the list.")
        return values

    def _canonical(self, value: str) -> str:
        if value.lower() == "currentuser()":
            return self._context.current_user.lower()
        return self._context.aliases.get(value, value).lower()


def _field_values(issue: Issue, attribute: str) -> list[str]:
    value = issue.get(attribute)
    if isinstance(value, list):
        return [str(item).lower() for item in value]
    return [str(value).lower()] if value else []


def _has_value(attribute: str) -> Predicate:
    return lambda issue: bool(_field_values(issue, attribute))


def _equality_matcher(attribute: str, wanted: set[str]) -> Predicate:
    return lambda issue: bool(wanted.intersection(_field_values(issue, attribute)))


def _words(text: str) -> list[str]:
    return [word.lower() for word in re.findall(r"\w+", text)]


def _text_matcher(field: str, words: list[str]) -> Predicate:
    def matches(issue: Issue) -> bool:
        haystack = set(_words(searchable_text(issue, field)))
        return bool(words) and all(word in haystack for word in words)

    return matches


def searchable_text(issue: Issue, field: str = "text") -> str:
    """The issue text a ``~`` query on ``field`` looks at."""
    parts = {
        "summary": [str(issue.get("summary", ""))],
        "description": [_adf_text(issue.get("description"))],
        "comment": [_adf_text(comment.get("body")) for comment in issue.get("comments", [])],
    }
    if field == "text":
        return " ".join(part for chunk in parts.values() for part in chunk)
    return " ".join(parts.get(field, []))


def _adf_text(node: object) -> str:
    if isinstance(node, str):
        return node
    if isinstance(node, dict):
        own = str(node.get("text", ""))
        return " ".join([own, *(_adf_text(child) for child in node.get("content", []))])
    return ""
