"""JQL checked and scoped before it reaches Jira: the model (or a user) cannot widen the scope.

Pure functions. ``scope_jql`` tokenises the query the way Jira does (quoted strings with
backslash escapes, parentheses, operators, words), refuses what is malformed or suspicious, and
rewrites it as ``project in ("A", "B") AND (<query>) ORDER BY …``. Because the query's
parentheses and quotes are proven balanced first, nothing inside the wrapped part can close the
wrapper: ``status = Open) OR (project = SECRET`` is refused, not spliced. A query that *names* a
project outside the allowlist is refused outright, so the user hears why instead of getting an
empty list. Typographic quotes (Slack turns ``"`` into ``“``) are read as ASCII quotes.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from integrations.errors import BadRequest, PermissionDenied

SERVICE = "jira"
MAX_JQL_CHARS = 2000
MAX_ORDER_FIELDS = 7  # Jira's own limit on ORDER BY

_PROJECT_KEY = re.compile(r"^[A-Z][A-Z0-9_]+$")
_ISSUE_KEY = re.compile(r"^([A-Za-z][A-Za-z0-9_]+)-\d+$")
_SMART_QUOTES = {"“": '"', "”": '"', "„": '"', "‟": '"', "‘": "'", "’": "'", "‚": "'"}
_TOKEN = re.compile(
    r"""(?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')"""
    r"""|(?P<op>!=|!~|>=|<=|=|~|<|>)"""
    r"""|(?P<punct>[(),])"""
    r"""|(?P<word>[^\s=!~<>(),"']+)""",
    re.DOTALL,
)
# Outside quotes these have no use in JQL but are the stuff of comment and statement tricks.
_FORBIDDEN_IN_WORDS = (";", "|", "^", "$", "#", "%", "?", "/*", "*/", "//")
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_KEY_FIELDS = frozenset({"key", "issuekey", "issue", "parent", "id"})
_LIST_OPERATORS = frozenset({"in", "not in", "was in", "was not in"})
_VALUE_OPERATORS = frozenset({"=", "!=", "was", "was not"})


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # string | op | punct | word
    text: str
    start: int

    @property
    def word(self) -> str:
        """The lower-cased word, or "" for anything that is not a bare word."""
        return self.text.lower() if self.kind == "word" else ""

    @property
    def value(self) -> str:
        """The token as a value: a string without its quotes and escapes, or the word."""
        if self.kind == "string":
            return re.sub(r"\\(.)", r"\1", self.text[1:-1], flags=re.DOTALL)
        return self.text


def project_keys(projects: Collection[str] | None) -> tuple[str, ...]:
    """The allowlist as upper-case keys, in a stable order; a malformed key raises ValueError."""
    keys = sorted({key.strip().upper() for key in projects or () if key.strip()})
    bad = [key for key in keys if not _PROJECT_KEY.match(key)]
    if bad:
        raise ValueError(f"not a Jira project key: {bad[0]!r}")
    return tuple(keys)


def key_allowed(issue_key: str, projects: Sequence[str]) -> bool:
    """Whether an issue key belongs to an allowed project (every key is, with no allowlist)."""
    if not projects:
        return True
    return issue_key.rsplit("-", 1)[0].upper() in projects


def scope_jql(jql: str, projects: Sequence[str]) -> str:
    """``jql`` validated and, with an allowlist, restricted to those projects.

    Raises BadRequest for malformed JQL and PermissionDenied for JQL naming another project.
    """
    text = _normalized(jql)
    tokens = tokenize(text)
    order_at = _order_by_start(tokens)
    restriction, order = (tokens, []) if order_at is None else (tokens[:order_at], tokens[order_at + 2 :])
    _check_parentheses(restriction)
    _check_order(order, order_at is not None)
    if projects:
        _check_named_projects(restriction, projects)
    where = text[: restriction[-1].start + len(restriction[-1].text)] if restriction else ""
    order_text = f" ORDER BY {text[order[0].start :].strip()}" if order else ""
    if not projects:
        return (where + order_text).strip()
    scope = "project in (" + ", ".join(f'"{key}"' for key in projects) + ")"
    return (f"{scope} AND ({where})" if where else scope) + order_text


def _normalized(jql: str) -> str:
    text = _ascii_quotes(jql).strip()
    if not text:
        raise BadRequest(SERVICE, "the JQL query is empty")
    if len(text) > MAX_JQL_CHARS:
        raise BadRequest(SERVICE, f"the JQL query is longer than {MAX_JQL_CHARS} characters")
    if any(ord(char) < 32 and char not in "\t\n\r" or char in _BIDI_CONTROLS for char in text):
        # Bidi overrides would make the JQL we show the user read differently from what runs.
        raise BadRequest(SERVICE, "the JQL query contains control characters")
    return text


def _ascii_quotes(jql: str) -> str:
    """Typographic quotes that open a string, and those that close it, become ASCII.

    A string opened with an ASCII quote is closed only by that quote; typographic quotes
    inside any string are text and stay as they are.
    """
    out: list[str] = []
    closing: str | None = None  # the ASCII quote of the string we are in
    smart = False  # whether that string was opened with a typographic quote
    escaped = False
    for char in jql:
        if closing is None:
            smart = char in _SMART_QUOTES
            char = _SMART_QUOTES.get(char, char)
            closing = char if char in "\"'" else None
        elif escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == closing or (smart and _SMART_QUOTES.get(char) == closing):
            char, closing = closing, None
        out.append(char)
    return "".join(out)


def tokenize(text: str) -> list[Token]:
    """Jira's lexical view of ``text``; an unterminated string or a stray character is refused."""
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        if text[position].isspace():
            position += 1
            continue
        match = _TOKEN.match(text, position)
        if match is None:
            quote = text[position]
            what = "an unterminated quoted string" if quote in "\"'" else f"the character {quote!r}"
            raise BadRequest(SERVICE, f"the JQL query has {what}")
        kind = match.lastgroup or "word"
        token = Token(kind, match.group(), position)
        if kind == "word":
            _check_word(token)
        tokens.append(token)
        position = match.end()
    return tokens


def _check_word(token: Token) -> None:
    for marker in _FORBIDDEN_IN_WORDS:
        if marker in token.text:
            raise BadRequest(SERVICE, f"the JQL query has {marker!r} outside quotes")
    if token.text.startswith("--"):
        raise BadRequest(SERVICE, "the JQL query has '--' outside quotes (JQL has no comments)")


def _order_by_start(tokens: list[Token]) -> int | None:
    """Index of the one top-level ORDER BY; one inside parentheses or a second one is refused."""
    found: int | None = None
    depth = 0
    for index, token in enumerate(tokens):
        depth += {"(": 1, ")": -1}.get(token.text, 0) if token.kind == "punct" else 0
        following = tokens[index + 1].word if index + 1 < len(tokens) else ""
        if token.word != "order" or following != "by":
            continue
        if depth != 0 or found is not None:
            raise BadRequest(SERVICE, "ORDER BY may appear once, at the end of the query")
        found = index
    return found


def _check_parentheses(tokens: list[Token]) -> None:
    depth = 0
    for token in tokens:
        if token.kind != "punct":
            continue
        depth += {"(": 1, ")": -1}.get(token.text, 0)
        if depth < 0:
            raise BadRequest(SERVICE, "the JQL query closes a parenthesis it never opened")
    if depth:
        raise BadRequest(SERVICE, "the JQL query leaves a parenthesis open")


def _check_order(order: list[Token], present: bool) -> None:
    """ORDER BY takes fields, each with an optional ASC/DESC, comma-separated, and nothing else."""
    if present and not order:
        raise BadRequest(SERVICE, "ORDER BY needs at least one field")
    state = "field"  # what may come next: field | direction-or-comma | comma
    fields = 0
    for token in order:
        if state == "field" and token.kind in ("word", "string") and token.word not in ("asc", "desc"):
            fields, state = fields + 1, "direction-or-comma"
        elif state != "field" and token.text == ",":
            state = "field"
        elif state == "direction-or-comma" and token.word in ("asc", "desc"):
            state = "comma"
        else:
            raise BadRequest(SERVICE, f"ORDER BY expects fields and ASC/DESC, not {token.text!r}")
    if present and state == "field":
        raise BadRequest(SERVICE, "ORDER BY ends with a comma")
    if fields > MAX_ORDER_FIELDS:
        raise BadRequest(SERVICE, f"ORDER BY may name at most {MAX_ORDER_FIELDS} fields")


def _check_named_projects(tokens: list[Token], projects: Sequence[str]) -> None:
    """Refuse a query that names, anywhere, a project or an issue key outside the allowlist."""
    for index, token in enumerate(tokens):
        field = token.value.lower() if token.kind in ("word", "string") else ""
        if field == "project" or field in _KEY_FIELDS:
            for value in _clause_values(tokens, index + 1):
                _check_value(field, value, projects)


def _clause_values(tokens: list[Token], at: int) -> list[str]:
    """The literal values of the clause whose operator starts at ``at`` (functions are skipped)."""
    operator, at = _operator(tokens, at)
    if operator in _VALUE_OPERATORS:
        return [tokens[at].value] if _is_literal(tokens, at) else []
    if operator not in _LIST_OPERATORS or at >= len(tokens) or tokens[at].text != "(":
        return []
    values: list[str] = []
    at += 1
    while at < len(tokens) and tokens[at].text != ")":
        if _is_literal(tokens, at):
            values.append(tokens[at].value)
        at += 1
    return values


def _operator(tokens: list[Token], at: int) -> tuple[str, int]:
    """The operator starting at ``at`` (``=``, ``in``, ``not in``, ``was not in`` …) and what follows."""
    if at < len(tokens) and tokens[at].kind == "op":
        return tokens[at].text, at + 1
    words: list[str] = []
    while at < len(tokens) and tokens[at].word in ("in", "not", "was", "is") and len(words) < 3:
        words.append(tokens[at].word)
        at += 1
    return " ".join(words), at


def _is_literal(tokens: list[Token], at: int) -> bool:
    if at >= len(tokens) or tokens[at].kind not in ("word", "string"):
        return False
    is_call = at + 1 < len(tokens) and tokens[at + 1].text == "(" and tokens[at].kind == "word"
    return not is_call


def _check_value(field: str, value: str, projects: Sequence[str]) -> None:
    if field == "project":
        if value.upper() not in projects and value.lower() not in ("empty", "null"):
            raise outside_scope(f"project {value}", projects)
        return
    match = _ISSUE_KEY.match(value)
    if match and match.group(1).upper() not in projects:
        raise outside_scope(f"issue {value.upper()}", projects)


def outside_scope(what: str, projects: Sequence[str]) -> PermissionDenied:
    """The error for something outside the allowlist; it names the allowed projects, not secrets."""
    return PermissionDenied(
        SERVICE, f"{what} is outside the Jira projects this bot may read ({', '.join(projects)})"
    )
