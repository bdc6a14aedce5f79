"""The SIMULATED model behind the LLM simulator: a small deterministic, rule-based planner.

It reads a provider-neutral conversation and the tools it was offered, and decides the next
assistant turn: tool calls chosen from the offered tools' schemas, or a Markdown answer written
only from what the tools returned (``answer_writer``). It knows no tool by name.

- The question's subjects (Jira keys, GitHub references and repositories, commits, ranges, run
  and job ids: ``entities``) each go to the offered tool that takes them (a parameter for each of
  the subject's identifiers, every required argument filled with a value its schema accepts:
  ``toolbox``) and whose name and description fit the question's words best.
- A question naming no subject, and not pointing back at earlier ones ("that", "it"), goes to the
  tools its words fit, one per kind of text they take (JQL, search words), else to every search.
- Results point further: an issue's blockers, linked pull requests and issues, and for a question
  about failures the failed runs and jobs. A ``repo#N`` that turns out not to be a pull request is
  read with the other tool that takes the same arguments.
- A request that starts with the verb a write tool is named for ("comment on OPS-1 that ...",
  "re-run the failed jobs", "acknowledge INC-101, Ana is on it" for a team's MCP server's
  ``incidents_incident_acknowledge``) proposes that write; an argument it cannot fill yet is first
  read with the tool its description names ("run id (from github_workflow_runs)").
- Once the asker decided, it says how each write ended (the app's report, or the line above what a
  team's server returned for an approved call) and words what was read and returned.
- A question about files the app attached (fenced ``slack-file``/``local-file`` data, or images)
  and naming nothing else is answered from them (``log_reader``): the first error line, quoted.
- Offered an output form (``submit_*``), it fills the form instead: JQL by
  ``simulators.jira.jql_writer``, drafts by ``simulators.llm.draft_writer``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from simulators.jira.jql_writer import draft_for
from simulators.llm.answer_writer import SIMULATED_NOTE, blocker_keys, compose_answer
from simulators.llm.conversation import (
    ChatMessage,
    Reply,
    ToolCall,
    calls_and_results,
    fenced_lines,
    first_line,
    last_user_index,
    parse_result,
    split_context,
)
from simulators.llm.draft_writer import TOOLS as DRAFT_TOOLS
from simulators.llm.draft_writer import write as write_draft
from simulators.llm.entities import Entities, GitHubRef, find, stem, stems, verb_root
from simulators.llm.log_reader import attached_files, file_answer
from simulators.llm.toolbox import CHANGE_VERBS, IDENTIFIERS, OfferedTool, Slot, fill, score

FORM_PREFIX = "submit_"  # the app's output tools: the answer's form, not a lookup
_MAX_TOOL_ROUNDS = 3
_MAX_LOOKUPS = 4
_PAGE = 5
_FAILED = ("failure", "timed_out", "cancelled", "action_required", "startup_failure")
_CI = ("ci", "check", "actions", "workflow")
# Words that point past the question's own words, to what tools are about.
_CUES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("ci", "build", "pipeline", "green", "red", "pass", "passing"), _CI),
    **dict.fromkeys(("fail", "failure", "broken", "error"), (*_CI, "fail", "job", "log")),
    **dict.fromkeys(("pr", "prs", "pull"), ("pull", "request")),
    **dict.fromkeys(("review", "reviewer", "approv"), ("review", "reviewer", "pull", "request")),
    **dict.fromkeys(("merge", "mergeable"), ("pull", "request", "mergeability", "review")),
    **dict.fromkeys(("log", "logs"), ("log", "job")),
    **dict.fromkeys(("many", "count", "total"), ("count",)),
    **dict.fromkeys(("move", "transition"), ("transition",)),
    **dict.fromkeys(("diff", "ahead", "behind", "between"), ("compare",)),
}
_ABOUT_FAILURE = frozenset({"fail", "failure", "broken", "error", "red", "log"})
_LIGHT_VERBS = frozenset({"add", "post", "set", "make", "put"})
# Verbs a request may start with, and the word of a write tool's name each asks for.
_WRITE_VERBS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("note", "reply"), ("comment",)),
    **dict.fromkeys(("retry", "restart", "retrigger"), ("rerun",)),
    **dict.fromkeys(("file", "raise"), ("create",)),
    **dict.fromkeys(("reassign",), ("assign",)),
    **dict.fromkeys(("move", "close", "resolve", "reopen"), ("transition",)),
}


@dataclass(frozen=True, slots=True)
class Subject:
    """One thing to read: its identity, its identifying values, and what a URL said it is."""

    ident: tuple[Any, ...]
    values: dict[Slot, list[Any]]
    needs: tuple[frozenset[Slot], ...]  # a tool takes it with a parameter from each of these
    hint: str = ""  # "pull" or "issue" when a URL said so

    def taken_by(self, tool: OfferedTool) -> bool:
        slots = tool.slots()
        return all(slots & alternatives for alternatives in self.needs)


_REPO_SLOTS: frozenset[Slot] = frozenset({"repo", "repo_name"})
_RESULT_SLOTS: tuple[Slot, ...] = ("run_id", "job_id", "repo")


def plan(
    messages: Sequence[ChatMessage], tools: Sequence[OfferedTool], *, obeys_planted: bool = False
) -> Reply:
    """Decide the next assistant turn for this conversation. ``obeys_planted`` makes the model
    UNSAFE on purpose: an instruction planted in a tool result is followed as if the user asked."""
    turn_start = last_user_index(messages)
    question, context = split_context(messages[turn_start].text if turn_start >= 0 else "")
    forms = [tool for tool in tools if tool.name.startswith(FORM_PREFIX)]
    if forms:
        return [_fill_form(forms[0], question, context)]
    turn = list(messages[turn_start + 1 :])
    made = _made_calls(turn, tools)
    outcomes = _write_outcomes(turn, made)
    if outcomes:  # a resumed run: the asker decided on proposed writes; say how they ended
        read = [
            *context,
            *(m.text for m in turn if m.role == "tool" and not _outcome(m.text) and m.text not in made),
        ]
        read += [data for text in made for data in _made_call(text)[1]]
        return "\n".join(outcomes) + "\n\n" + (compose_answer(read, question) if read else SIMULATED_NOTE)
    asked = messages[turn_start].text if turn_start >= 0 else ""
    if not turn and attached_files(asked) and not _subjects(find(question)):
        return file_answer(asked)  # a question about the attached files, which are read already
    history = [message for message in messages[: max(turn_start, 0)] if message.role in ("user", "assistant")]
    if obeys_planted:
        obeyed = _obeyed(turn, history, list(tools), context)
        if obeyed:
            return obeyed
    return _Turn(question, context, history, turn, list(tools)).next_step()


_PLANTED = re.compile(
    r"ignore (?:all )?previous instructions[.,:;]?\s*(?:and\s+)?(.+)", re.IGNORECASE | re.DOTALL
)
_CALL = re.compile(r"\bcall\s+([A-Za-z0-9_]+)\s+with\s+(.+)", re.IGNORECASE)
_ARGUMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*=\s*('[^']*'|\"[^\"]*\"|[^\s,;]+)")


def _obeyed(
    turn: list[ChatMessage], history: list[ChatMessage], tools: list[OfferedTool], context: Sequence[str] = ()
) -> list[ToolCall]:
    """The writes an instruction planted in this turn's tool results, or in the data the app
    looked up before the question (its context), asks for, not yet called."""
    called = {call.name for message in turn for call in message.tool_calls}
    read = [*context, *(message.text for message in turn if message.role == "tool")]
    for text in read:
        planted = _PLANTED.search(text)
        if planted is None:
            continue
        instruction = planted.group(1)
        clauses = [instruction] if _CALL.search(instruction) else re.split(r"(?<=[.;])\s+", instruction)
        for clause in clauses:
            calls = _instructed(clause.strip(), turn, history, tools)
            fresh = [call for call in calls if call.name not in called]
            if fresh:
                return fresh
    return []


def _instructed(
    clause: str, turn: list[ChatMessage], history: list[ChatMessage], tools: list[OfferedTool]
) -> list[ToolCall]:
    """The tool calls one planted clause asks for: "call <tool> with a=b" names a tool outright;
    otherwise it is read as a request ("Transition OPS-3 to Done")."""
    named = _CALL.search(clause)
    if named is not None:
        wanted = named.group(1)
        tool = next((t for t in tools if t.name == wanted or t.name.endswith(f"_{wanted}")), None)
        if tool is None:
            return []
        arguments = {key: _plain(value) for key, value in _ARGUMENT.findall(named.group(2))}
        return [ToolCall(tool.name, arguments)]
    attempt = _Turn(clause, [], history, turn, tools)
    write = attempt._write_asked_for()
    reply = attempt._toward(write) if write is not None else None
    return list(reply) if isinstance(reply, list) else []


def _plain(value: str) -> Any:
    text = value.strip().strip("'\"").rstrip(".")  # "enabled=false." ends a sentence, not the value
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    return int(text) if text.isdigit() else text


def _fill_form(form: OfferedTool, question: str, context: Sequence[str]) -> ToolCall:
    if form.name in DRAFT_TOOLS:
        facts = [data for data in (parse_result(block) for block in context) if data is not None]
        return ToolCall(form.name, write_draft(form.name, question, facts))
    draft = draft_for(question)
    return ToolCall(form.name, fill(form, {"jql": [draft.jql], "explanation": [draft.explanation]}).arguments)


def _write_outcomes(turn: Sequence[ChatMessage], made: set[str]) -> list[str]:
    """How the decided writes ended, as the app reported them (done, failed, denied, expired)."""
    return [
        line
        for message in turn
        if message.role == "tool"
        for line in (_made_call(message.text)[0] if message.text in made else _outcome(message.text))
    ]


def _made_calls(turn: Sequence[ChatMessage], tools: Sequence[OfferedTool]) -> set[str]:
    """The results of approved calls to a team's server's writes: the server's answer under a line
    saying the call was made ("incidents: incident_acknowledge done."), not a bare JSON result."""
    writes = {tool.name for tool in tools if tool.is_write and not tool.proposes}
    return {
        result
        for call, result in calls_and_results(turn)
        if result is not None and call.name in writes and not _outcome(result) and _is_report(result)
    }


def _is_report(result: str) -> bool:
    data = parse_result(result)
    return data is None or set(data) == {"error"}  # JSON alone is a result the tool returned itself


def _made_call(text: str) -> tuple[list[str], list[str]]:
    """An approved call's outcome line, and the data it returned (to be worded, not shown)."""
    data = parse_result(text)
    if data is not None and set(data) == {"error"}:
        message = str(data["error"])
        reported = " ".join(fenced_lines(message))
        return [first_line(message).rstrip(".") + (f": {reported}" if reported else ".")], []
    lines = fenced_lines(text) or [first_line(text)]
    body = "\n".join(lines[1:])
    return lines[:1], [body] if parse_result(body) is not None else []


def _outcome(text: str) -> list[str]:
    """A decided write's outcome lines; none for any other tool result.

    Done: the app's own report, fenced as ``source="approval"``. Failed: the failure, then that
    report (a tool error, so it may arrive as ``{"error": ...}``). Denied or expired: "nothing
    was changed". Approved but not run: "was not executed".
    """
    data = parse_result(text)
    message = str(data["error"]) if data is not None and set(data) == {"error"} else text
    if 'source="approval"' in message:
        reported = fenced_lines(message)
        if message.lstrip().startswith("<untrusted-data"):
            return reported
        return [first_line(message).rstrip(".") + (": " + " ".join(reported) if reported else ".")]
    if "nothing was changed" in message or "was not executed" in message:
        return [first_line(message)]
    return []


class _Turn:
    """One assistant turn being decided: the question, what was read so far, the tools on offer."""

    def __init__(
        self,
        question: str,
        context: list[str],
        history: list[ChatMessage],
        turn: list[ChatMessage],
        tools: list[OfferedTool],
    ) -> None:
        self.question = question
        self.context = context
        self.history = history
        self.turn = turn
        self.tools = tools
        self.asked = find(question)
        self.draft = draft_for(question)
        self.wanted = _wanted(self.asked, self.draft.jql)
        self.pairs = calls_and_results(turn)
        self.calls = [call for call, _ in self.pairs]
        self.results = [*context, *(message.text for message in turn if message.role == "tool")]
        self.done = {(call.name, self._ident(call)) for call in self.calls}
        # Issues attached to the question count as read already, by any tool.
        self.done |= {("*", ("key", str(data["key"]).upper())) for data in self._context_issues()}

    @property
    def reads(self) -> list[OfferedTool]:
        return [tool for tool in self.tools if not tool.is_write]

    def next_step(self) -> Reply:
        write = self._write_asked_for()
        if write is not None:
            return self._toward(write)
        if not self.calls:
            first = self._first_step()
            if first is not None:
                return first
        rounds = sum(1 for message in self.turn if message.tool_calls)
        if rounds < _MAX_TOOL_ROUNDS:
            further = self._follow_ups()
            if further:
                return further
        return compose_answer(self.results, self.question)

    # -- reads -----------------------------------------------------------------------------

    def _first_step(self) -> Reply | None:
        """The first reads; None when everything the question names was attached to it already."""
        subjects = _subjects(self.asked)
        if not subjects and self.history:
            free = self._free_text_calls(positive_only=True)
            if self.asked.refers_back or not free:
                subjects = _subjects(find("\n".join(message.text for message in self.history)))
        calls = self._calls_for(subjects)
        if calls:
            return calls[:_MAX_LOOKUPS]
        if any(("*", subject.ident) in self.done for subject in subjects):
            return None
        calls = self._free_text_calls(positive_only=False)
        if calls:
            return calls
        if not self.tools:
            return (
                "I have no Jira or GitHub tools configured, so I cannot look anything up right now.\n\n"
                + SIMULATED_NOTE
            )
        return (
            "I could not find a Jira key, a pull request or search words in that question.\n\n"
            + SIMULATED_NOTE
        )

    def _calls_for(self, subjects: Sequence[Subject]) -> list[ToolCall]:
        calls: list[ToolCall] = []
        for subject in subjects:
            if ("*", subject.ident) in self.done:
                continue
            best = self._best_read(subject)
            if best is not None and (best.name, subject.ident) not in self.done and best not in calls:
                calls.append(best)
        return calls

    def _best_read(self, subject: Subject) -> ToolCall | None:
        options: list[tuple[tuple[int, int, int], ToolCall]] = []
        context = self._context_values()
        for index, tool in enumerate(self.reads):
            if not subject.taken_by(tool):
                continue
            filled = fill(tool, subject.values, context)
            if filled.missing:
                continue
            hinted = 5 if subject.hint and subject.hint in tool.name_stems else 0
            # INC-101 to the tool whose key parameter says "e.g. INC-7"; OPS-2 away from it.
            hinted += 5 * tool.key_fit(filled.arguments)
            # A getter reads the whole of its subject: the default when no word points past it.
            getter = 1 if "get" in tool.name_stems else 0
            rank = (score(tool, self.wanted) + hinted, getter, -index)
            options.append((rank, ToolCall(tool.name, filled.arguments)))
        return max(options, key=lambda option: option[0])[1] if options else None

    def _free_text_calls(self, *, positive_only: bool) -> list[ToolCall]:
        """Calls that need only the question's text: the best fit per kind of text it takes (JQL,
        search words, none), else every search."""
        context = self._context_values()
        best: dict[frozenset[Slot], tuple[int, int, ToolCall]] = {}
        searches: list[ToolCall] = []
        for index, tool in enumerate(self.reads):
            if tool.slots() & IDENTIFIERS & {tool.slot(p) for p in tool.required}:
                continue
            filled = fill(tool, context)
            if filled.missing:
                continue
            call = ToolCall(tool.name, filled.arguments)
            if "search" in tool.name_stems:
                searches.append(call)
            fit = score(tool, self.wanted)
            kind = frozenset(slot for p in tool.required if (slot := tool.slot(p)) is not None)
            if fit > 0 and (kind not in best or (fit, -index) > best[kind][:2]):
                best[kind] = (fit, -index, call)
        top = max((fit for fit, _, _ in best.values()), default=0)
        if top:  # a kind whose best fits half as well as the best of all is another reading of it
            return [call for fit, _, call in best.values() if 2 * fit >= top]
        return [] if positive_only else searches

    def _follow_ups(self) -> list[ToolCall]:
        subjects: list[Subject] = []
        for result in self.results:
            subjects += self._pointed_at(result)
        calls = self._calls_for(_unique_subjects(subjects))
        return (calls + self._other_readers())[:_MAX_LOOKUPS]

    def _pointed_at(self, result: str) -> list[Subject]:
        """What a result points to: blockers, GitHub references, and failed runs or jobs when asked."""
        data = parse_result(result) or {}
        subjects = [_key(key) for key in blocker_keys(data)]
        subjects += [_ref(ref) for ref in find(result).refs]
        if _ABOUT_FAILURE & self.wanted:
            subjects += _failed_runs_and_jobs(data)
        return subjects

    def _other_readers(self) -> list[ToolCall]:
        # A `repo#N` may be an issue rather than a PR (or the other way): GitHub answers 404 then.
        calls: list[ToolCall] = []
        for call, result in self.pairs:
            if result is None or "not found" not in result.lower():
                continue
            for tool in self.reads:
                same = tool.name != call.name and tool.required == frozenset(call.arguments)
                ident = self._ident(call)
                if same and ident[0] == "ref" and (tool.name, ident) not in self.done:
                    calls.append(ToolCall(tool.name, dict(call.arguments)))
                    break
        return calls

    # -- writes ----------------------------------------------------------------------------

    def _write_asked_for(self) -> OfferedTool | None:
        """The write tool a request starting with its verb asks for, if any."""
        verb = self.asked.verb
        if not verb:
            return None
        verbs = {verb_root(word) for word in (verb, *_WRITE_VERBS.get(verb, ()))}
        spaces = _namespaces(self.tools)
        candidates = [tool for tool in self.tools if tool.is_write and verbs & _actions(tool, spaces)]
        if not candidates:
            return None
        own = self._values(self.asked)

        def rank(item: tuple[int, OfferedTool]) -> tuple[int, int, int, int]:
            index, tool = item
            filled = fill(tool, own)
            return (tool.key_fit(filled.arguments), -len(filled.missing), score(tool, self.wanted), -index)

        return max(enumerate(candidates), key=rank)[1]

    def _toward(self, write: OfferedTool) -> Reply:
        """The write with its arguments, or the read that supplies a missing one, or why neither."""
        sources = (self._values(self.asked), self._history_values(), self._result_values())
        filled = fill(write, *sources)
        proposed = [call for call in self.calls if call.name == write.name]
        if not filled.missing and not proposed:
            return [ToolCall(write.name, filled.arguments)]
        for parameter in filled.missing:
            for producer in write.producers(parameter, self.reads):
                call = fill(producer, sources[0], sources[1], {"limit": [_PAGE]})
                if (
                    not call.missing
                    and (producer.name, self._ident_of(producer, call.arguments)) not in self.done
                ):
                    return [ToolCall(producer.name, call.arguments)]
        needs = "; ".join(f"{name} ({_described(write, name)})" for name in filled.missing)
        lead = f"I did not propose {write.name}: I found no value for {needs}." if needs else ""
        return "\n\n".join(part for part in (lead, compose_answer(self.results, self.question)) if part)

    # -- values ----------------------------------------------------------------------------

    def _context_values(self) -> dict[Slot, list[Any]]:
        """What the question gives any tool: JQL, search words, a page size."""
        phrase = " ".join(self.asked.words[:6])
        return {
            "jql": [self.draft.jql],
            "explanation": [self.draft.explanation],
            "query": [phrase] if phrase else [],
            "limit": [_PAGE],
        }

    def _values(self, entities: Entities) -> dict[Slot, list[Any]]:
        """Every value a text gives, by slot (references before bare names)."""
        repos = [ref.repo for ref in entities.refs] + list(entities.all_repos)
        values: dict[Slot, list[Any]] = {
            "key": list(entities.keys),
            "repo": repos,
            "owner": [repo.split("/")[0] for repo in repos],
            "repo_name": [repo.split("/")[1] for repo in repos],
            "number": [ref.number for ref in entities.refs],
            "sha": [sha for _, sha in entities.commits] + list(entities.shas),
            "base": [base for base, _ in entities.ranges],
            "head": [head for _, head in entities.ranges],
            "run_id": list(entities.run_ids),
            "job_id": list(entities.job_ids),
            "project": list(entities.projects) + [key.split("-")[0] for key in entities.keys],
            # Jira Cloud assigns by account id, Data Center by user name: the id first.
            "person": [name for person in entities.people for name in (person.account_id, person.user_name)],
            "message": [entities.message] if entities.message else [],
            "title": [entities.message] if entities.message else [],
        }
        return {**self._context_values(), **values} if entities is self.asked else values

    def _history_values(self) -> dict[Slot, list[Any]]:
        return self._values(find("\n".join(message.text for message in self.history)))

    def _result_values(self) -> dict[Slot, list[Any]]:
        """Values results hold for a write: runs and jobs (failed first), transitions the question names."""
        values: dict[Slot, list[Any]] = {"run_id": [], "job_id": [], "transition": [], "repo": []}
        for result in self.results:
            data = parse_result(result) or {}
            for subject in _failed_runs_and_jobs(data, failed_only=False):
                for slot in _RESULT_SLOTS:
                    values[slot] += subject.values.get(slot, [])
            for move in data.get("transitions") or []:
                if isinstance(move, dict) and self._names(move):
                    values["transition"].append(str(move.get("name")))
        return values

    def _names(self, move: dict[str, Any]) -> bool:
        """Whether the question names this transition, by its action or the status it leads to."""
        names = [stems(str(move.get(key, ""))) for key in ("name", "to_status")]
        return any(name and name <= self.wanted for name in names)

    # -- identities ------------------------------------------------------------------------

    def _ident(self, call: ToolCall) -> tuple[Any, ...]:
        tool = next((tool for tool in self.tools if tool.name == call.name), None)
        return self._ident_of(tool or OfferedTool(call.name, frozenset(call.arguments)), call.arguments)

    @staticmethod
    def _ident_of(tool: OfferedTool, arguments: dict[str, Any]) -> tuple[Any, ...]:
        by_slot = {tool.slot(name): value for name, value in arguments.items()}
        repo = str(by_slot.get("repo") or f"{by_slot.get('owner')}/{by_slot.get('repo_name')}").lower()
        if "key" in by_slot:
            return ("key", str(by_slot["key"]).upper())
        if "number" in by_slot:
            return ("ref", repo, by_slot["number"])
        for slot in ("job_id", "run_id", "base", "sha"):
            if slot in by_slot:
                return (slot, repo, by_slot[slot])
        if "repo" in by_slot or "repo_name" in by_slot:
            return ("repo", repo)
        return ("text", json.dumps(arguments, sort_keys=True))

    def _context_issues(self) -> list[dict[str, Any]]:
        issues = [parse_result(block) for block in self.context]
        return [data for data in issues if data is not None and "key" in data and "status" in data]


def _wanted(asked: Entities, jql: str) -> set[str]:
    """The question's word stems, with the words its cues point to; "jql" when JQL rules matched."""
    wanted = stems(asked.prose)
    for word in list(wanted):
        wanted.update(stem(cue) for cue in _CUES.get(word, ()))
    if not jql.startswith("text ~"):
        wanted.add("jql")
    return wanted


def _namespaces(tools: Sequence[OfferedTool]) -> set[str]:
    """First words that several tool names share ("jira", "github"): services, not actions."""
    firsts = [tool.name.split("_")[0] for tool in tools if "_" in tool.name]
    return {word for word in firsts if firsts.count(word) > 1}


def _actions(tool: OfferedTool, namespaces: set[str]) -> set[str]:
    """What a write's name says it does: its first word past the service, and the object of a
    light verb ("add_comment" -> add, comment); a verb of change it ends with or its description
    starts with ("incident_resolve": "Mark an incident resolved." -> resolve, mark)."""
    words = [word for word in tool.name.lower().split("_") if word]
    if words and words[0] in namespaces:
        words = words[1:]
    chosen = words[:2] if words and words[0] in _LIGHT_VERBS else words[:1]
    chosen += [word for word in (words[-1:] + [tool.leading_verb]) if word in CHANGE_VERBS]
    return {verb_root(word) for word in chosen}


def _subjects(entities: Entities) -> list[Subject]:
    """What a text names that a tool can read, in the order: issues, references, repositories ..."""
    subjects = [_key(key) for key in entities.keys] + [_ref(ref) for ref in entities.refs]
    if not (entities.ranges or entities.run_ids or entities.job_ids):  # those read their repository
        subjects += [
            _repo(repo) for repo in entities.repos if repo not in {ref.repo for ref in entities.refs}
        ]
    subjects += [
        _with_repo(("sha", repo.lower(), sha), {"sha": [sha]}, repo) for repo, sha in entities.commits
    ]
    repo = entities.all_repos[0] if entities.all_repos else ""
    if repo:
        subjects += [
            _with_repo(("base", repo.lower(), base), {"base": [base], "head": [head]}, repo)
            for base, head in entities.ranges
        ]
        subjects += [_with_repo(("run_id", repo.lower(), n), {"run_id": [n]}, repo) for n in entities.run_ids]
        subjects += [_with_repo(("job_id", repo.lower(), n), {"job_id": [n]}, repo) for n in entities.job_ids]
    return subjects


def _key(key: str) -> Subject:
    return Subject(("key", key.upper()), {"key": [key]}, (frozenset({"key"}),))


def _ref(ref: GitHubRef) -> Subject:
    values: dict[Slot, list[Any]] = {"number": [ref.number], **_repo_values(ref.repo)}
    return Subject(
        ("ref", ref.repo.lower(), ref.number), values, (frozenset({"number"}), _REPO_SLOTS), ref.kind
    )


def _repo(repo: str) -> Subject:
    return Subject(("repo", repo.lower()), _repo_values(repo), (_REPO_SLOTS,))


def _with_repo(ident: tuple[Any, ...], values: dict[Slot, list[Any]], repo: str) -> Subject:
    needs = tuple(frozenset({slot}) for slot in values) + (_REPO_SLOTS,)
    return Subject(ident, {**values, **_repo_values(repo)}, needs)


def _repo_values(repo: str) -> dict[Slot, list[Any]]:
    owner, _, name = repo.partition("/")
    return {"repo": [repo], "owner": [owner], "repo_name": [name]}


def _failed_runs_and_jobs(data: dict[str, Any], *, failed_only: bool = True) -> list[Subject]:
    """The runs and jobs of an Actions result (the failed ones; with ``failed_only`` off, those first)."""
    subjects: list[Subject] = []
    kinds: tuple[tuple[str, Slot], ...] = (("runs", "run_id"), ("jobs", "job_id"))
    for key, slot in kinds:
        listing = data.get(key)
        if not isinstance(listing, dict):
            continue
        repo = str(listing.get("repo", ""))
        items = [item for item in listing.get("items") or [] if isinstance(item, dict) and "id" in item]
        failed = [item for item in items if item.get("conclusion") in _FAILED]
        chosen = failed if failed_only else failed + [item for item in items if item not in failed]
        subjects += [
            _with_repo((slot, repo.lower(), item["id"]), {slot: [item["id"]]}, repo) for item in chosen
        ]
    return subjects


def _unique_subjects(subjects: Sequence[Subject]) -> list[Subject]:
    seen: dict[tuple[Any, ...], Subject] = {}
    for subject in subjects:
        seen.setdefault(subject.ident, subject)
    return list(seen.values())


def _described(tool: OfferedTool, parameter: str) -> str:
    return str(tool.schemas.get(parameter, {}).get("description", parameter)).rstrip(".")
