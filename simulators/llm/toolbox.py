"""The tools a request offers, read the way the SIMULATED model reads them: from their schemas.

A tool's name and description say what it is about (scored against the question's words) and
whether it changes anything (it only *proposes*, or its description starts with a verb of change:
"Acknowledge an incident ..."); each parameter's name, or failing that its description, says what
kind of value it takes (a ``KEY-NUMBER`` key, a repository, a number, JQL, search words, a message
...) and its JSON schema (type, pattern, enum, bounds) which values are valid; a key parameter's
example ("e.g. INC-101") says which keys it is for (``key_fit``). ``fill`` picks each argument from
the candidate values the planner found, and a call is made only when every required argument has a
valid value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from simulators.llm.entities import stem, stems

Slot = Literal[
    "key",
    "repo",
    "owner",
    "repo_name",
    "number",
    "jql",
    "explanation",
    "query",
    "project",
    "base",
    "head",
    "sha",
    "run_id",
    "job_id",
    "message",
    "title",
    "person",
    "transition",
    "limit",
]
Values = Mapping[Slot, Sequence[Any]]

_SLOT_OF_NAME: dict[str, Slot] = {
    "key": "key",
    "issue_key": "key",
    "issue_id_or_key": "key",
    "issueidorkey": "key",
    "repo": "repo",
    "repository": "repo",
    "full_name": "repo",
    "owner": "owner",
    "number": "number",
    "pull_number": "number",
    "issue_number": "number",
    "pr_number": "number",
    "jql": "jql",
    "explanation": "explanation",
    "query": "query",
    "q": "query",
    "search": "query",
    "project": "project",
    "project_key": "project",
    "base": "base",
    "head": "head",
    "sha": "sha",
    "head_sha": "sha",
    "commit": "sha",
    "commit_sha": "sha",
    "run_id": "run_id",
    "job_id": "job_id",
    "body": "message",
    "note": "message",
    "comment": "message",
    "message": "message",
    "summary": "title",
    "title": "title",
    "assignee": "person",
    "user": "person",
    "account_id": "person",
    "transition": "transition",
    "limit": "limit",
    "max_results": "limit",
    "per_page": "limit",
}
_SLOT_OF_DESCRIPTION: tuple[tuple[re.Pattern[str], Slot], ...] = (
    (re.compile(r"\bissue key\b", re.I), "key"),
    (re.compile(r"\bkey\b.*\be\.g\.\s+[A-Z][A-Z0-9]{1,9}-\d+"), "key"),
    (re.compile(r"\bowner/name\b", re.I), "repo"),
    (re.compile(r"\bJQL\b"), "jql"),
    (re.compile(r"\bsearch (text|words|terms|query)\b", re.I), "query"),
)
# Identifying slots: a call "takes" a subject when it has a parameter for each of them.
IDENTIFIERS: frozenset[Slot] = frozenset(
    {"key", "number", "repo", "owner", "repo_name", "sha", "base", "head", "run_id", "job_id"}
)
# Optional parameters get a value only for these slots: a subject's own identifiers and a page size.
_OPTIONAL_SLOTS = IDENTIFIERS | {"limit", "explanation"}
_FENCE_TAG = re.compile(r"</?untrusted-data[^>]*>")
_EXAMPLE_KEY = re.compile(r"\be\.g\.\s+([A-Z][A-Z0-9]{1,9}-)\d+")
# The verbs a description of a change starts with (a tool that says it only proposes is one too).
CHANGE_VERBS = frozenset(
    "acknowledge add approve archive assign cancel close create delete disable edit enable escalate "
    "mark merge mute pause post remove rename reopen rerun reset resolve restart resume revert send "
    "set silence snooze start stop trigger turn unassign update".split()
)
_STOPWORDS = frozenset(
    "get one list by as e g or an the of to a and with its it is be when from for this that their "
    "only now who asked person nothing until calling change preview decides learn outcome afterwards "
    "sees approves write propose proposes".split()
)


@dataclass(frozen=True, slots=True)
class OfferedTool:
    """One tool of a request: its name, what it says it does, and its parameters' JSON schemas.

    Built from the wire with ``from_json_schema``; ``OfferedTool(name, parameter_names)`` is a tool
    whose parameters are all required and untyped.
    """

    name: str
    parameters: frozenset[str] = frozenset()
    description: str = ""
    schemas: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, compare=False, hash=False)
    required_parameters: frozenset[str] | None = None

    @classmethod
    def from_json_schema(cls, name: str, description: str, schema: Mapping[str, Any]) -> OfferedTool:
        properties = schema.get("properties") or {}
        schemas = {str(key): value for key, value in properties.items() if isinstance(value, Mapping)}
        required = frozenset(str(key) for key in schema.get("required") or [])
        return cls(name, frozenset(schemas), description, schemas, required)

    @property
    def required(self) -> frozenset[str]:
        return self.parameters if self.required_parameters is None else self.required_parameters

    @property
    def proposes(self) -> bool:
        """Whether it says it only *proposes* its change (the bot's own write tools do)."""
        return bool(re.search(r"\bpropose", self.description, re.IGNORECASE))

    @property
    def is_write(self) -> bool:
        """A change the asker must approve: it proposes one, or its description starts with a verb of
        change ("Acknowledge an incident", "Mark an incident resolved" — whatever it claims elsewhere)."""
        return self.proposes or self.leading_verb in CHANGE_VERBS

    @property
    def leading_verb(self) -> str:
        """The description's first word, lower-case: what a tool of a team's server says it does."""
        words = re.findall(r"[A-Za-z]+", self.plain_description[:40])
        return words[0].lower() if words else ""

    @property
    def plain_description(self) -> str:
        """The description without the fence the app puts around a team's server's words."""
        return _FENCE_TAG.sub(" ", self.description).strip()

    @property
    def name_stems(self) -> set[str]:
        return {stem(word) for word in re.split(r"[_\W]+", self.name.lower()) if word}

    def about(self) -> set[str]:
        """The stems of its description: what it says it is for."""
        return stems(self.plain_description) - _STOPWORDS

    def slot(self, parameter: str) -> Slot | None:
        """What kind of value a parameter takes: by its name, else by its description."""
        slot = _SLOT_OF_NAME.get(parameter.lower())
        if slot == "repo" and "owner" in self.parameters:
            return "repo_name"  # owner and repo apart: "repo" is the name only
        if slot is not None:
            return slot
        description = str(self.schemas.get(parameter, {}).get("description", ""))
        return next((found for pattern, found in _SLOT_OF_DESCRIPTION if pattern.search(description)), None)

    def slots(self) -> set[Slot]:
        return {slot for parameter in self.parameters if (slot := self.slot(parameter)) is not None}

    def producers(self, parameter: str, offered: Sequence[OfferedTool]) -> list[OfferedTool]:
        """The offered tools this parameter's description says its value comes from."""
        description = str(self.schemas.get(parameter, {}).get("description", ""))
        return [tool for tool in offered if tool is not self and tool.name in description]

    def key_fit(self, arguments: Mapping[str, Any]) -> int:
        """How the keys in ``arguments`` fit their parameters' examples: +1 for each that shares its
        example's prefix (INC-101 for "e.g. INC-7"), -1 for each that does not (OPS-2 there)."""
        fit = 0
        for parameter, value in arguments.items():
            description = str(self.schemas.get(parameter, {}).get("description", ""))
            example = _EXAMPLE_KEY.search(description)
            if example and self.slot(parameter) == "key":
                fit += 1 if str(value).upper().startswith(example.group(1)) else -1
        return fit

    def accepts(self, parameter: str, value: Any) -> bool:
        """Whether ``value`` is valid for the parameter under its JSON schema (what it states of it)."""
        return _valid(self.schemas.get(parameter, {}), value)


def score(tool: OfferedTool, wanted: set[str]) -> int:
    """How well a tool fits the question's word stems: its name counts thrice, its description once."""
    return 3 * len(wanted & tool.name_stems) + len(wanted & tool.about())


@dataclass(frozen=True, slots=True)
class Filled:
    """A call's arguments, and the required parameters no candidate value was valid for."""

    arguments: dict[str, Any]
    missing: tuple[str, ...]


def fill(tool: OfferedTool, *sources: Values) -> Filled:
    """The arguments for ``tool`` from candidate values by slot; earlier sources win."""
    arguments: dict[str, Any] = {}
    missing: list[str] = []
    for parameter in sorted(tool.parameters, key=_schema_order(tool)):
        slot = tool.slot(parameter)
        required = parameter in tool.required
        if slot is None or (not required and slot not in _OPTIONAL_SLOTS):
            if required:
                missing.append(parameter)
            continue
        value = _first_valid(tool, parameter, slot, sources)
        if value is not None:
            arguments[parameter] = value
        elif required:
            missing.append(parameter)
    return Filled(arguments, tuple(missing))


def _first_valid(tool: OfferedTool, parameter: str, slot: Slot, sources: Sequence[Values]) -> Any:
    for source in sources:
        for value in source.get(slot, ()):
            shaped = _shaped(tool, slot, value)
            if tool.accepts(parameter, shaped):
                return shaped
    return None


def _shaped(tool: OfferedTool, slot: Slot, value: Any) -> Any:
    # JQL for a tool that returns a list (it takes a page size): newest first.
    if slot == "jql" and "limit" in tool.slots() and "ORDER BY" not in str(value).upper():
        return f"{value} ORDER BY updated DESC"
    return value


def _schema_order(tool: OfferedTool) -> Any:
    order = list(tool.schemas)
    return lambda parameter: order.index(parameter) if parameter in order else len(order)


def _valid(schema: Mapping[str, Any], value: Any) -> bool:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind is None and isinstance(schema.get("anyOf"), list):
        options = [option for option in schema["anyOf"] if isinstance(option, Mapping)]
        return any(_valid(option, value) for option in options if option.get("type") != "null")
    if kind == "integer":
        return isinstance(value, int) and _in_bounds(schema, value)
    if kind == "string" or (kind is None and isinstance(value, str)):
        return isinstance(value, str) and _string_ok(schema, value)
    if kind == "array":
        return isinstance(value, list)
    return kind is None


def _in_bounds(schema: Mapping[str, Any], value: int) -> bool:
    low, high = schema.get("minimum"), schema.get("maximum")
    return (low is None or value >= low) and (high is None or value <= high)


def _string_ok(schema: Mapping[str, Any], value: str) -> bool:
    if not value or len(value) > int(schema.get("maxLength", 10_000)):
        return False
    if "enum" in schema and value not in schema["enum"]:
        return False
    pattern = schema.get("pattern")
    return not isinstance(pattern, str) or re.search(pattern, value) is not None
