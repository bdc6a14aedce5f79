"""The SIMULATED model behind the LLM simulator: a small deterministic, rule-based planner.

It reads a provider-neutral conversation and the tools it was offered, and decides the next
assistant turn: either tool calls (Jira keys -> the Jira issue tool, GitHub PR refs/URLs -> the PR
tool, otherwise a search) or a Markdown answer composed only from what the tools returned. It never
holds canned answers: every fact in its text comes from a tool result in the conversation.
Offered the JQL translator's ``submit_jql`` output tool, it writes JQL by rules instead
(``simulators.jira.jql_writer``); offered a drafting tool (``submit_digest``, ``submit_triage``,
``submit_issue_draft``), it fills it by rules from the facts (``simulators.llm.draft_writer``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from simulators.jira.jql_writer import draft_for
from simulators.llm.draft_writer import TOOLS as DRAFT_TOOLS
from simulators.llm.draft_writer import write as write_draft

JIRA_GET = "jira_get_issue"
JIRA_SEARCH = "jira_search"
GITHUB_PR = "github_get_pull_request"
GITHUB_ISSUE = "github_get_issue"
GITHUB_SEARCH = "github_search"
JQL_OUTPUT = "submit_jql"  # the JQL translator's structured output (bot/agent/jql_translator.py)

_T = TypeVar("_T")
_MAX_TOOL_ROUNDS = 3
_MAX_LOOKUPS = 4
_JIRA_KEY = re.compile(r"\b[A-Z][A-Z0-9]{1,9}-\d+\b")
_GITHUB_URL = re.compile(r"https://github\.com/([\w.-]+/[\w.-]+)/(pull|issues)/(\d+)")
_GITHUB_REF = re.compile(r"(?<![\w/.-])([\w.-]+/[\w.-]+)#(\d+)\b")
_FENCE = re.compile(r"<untrusted-data[^>]*>(.*?)</untrusted-data>", re.DOTALL)
_FENCE_BLOCK = re.compile(r"<untrusted-data[^>]*>.*?</untrusted-data>", re.DOTALL)
_STOPWORDS = frozenset(
    "a an and any are about can could did do does for from has have how i in is it me my of on or "
    "please show tell that the there this to was what when where which who why with you".split()
)

SIMULATED_NOTE = (
    "_Written by a simulated model: composed by rules from the tool results above, not by a real LLM._"
)


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One tool call the model asks for."""

    name: str
    arguments: dict[str, Any]


Reply = str | list[ToolCall]


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message of a conversation, whichever wire protocol it came in on."""

    role: Literal["system", "user", "assistant", "tool"]
    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()


@dataclass(frozen=True, slots=True)
class OfferedTool:
    name: str
    parameters: frozenset[str] = field(default_factory=frozenset)


def plan(messages: Sequence[ChatMessage], tools: Sequence[OfferedTool]) -> Reply:
    """Decide the next assistant turn for this conversation."""
    offered = {tool.name: tool for tool in tools}
    turn_start = _last_user_index(messages)
    question, context = split_context(messages[turn_start].text if turn_start >= 0 else "")
    if JQL_OUTPUT in offered:
        draft = draft_for(question)
        return [ToolCall(JQL_OUTPUT, {"jql": draft.jql, "explanation": draft.explanation})]
    structured = sorted(DRAFT_TOOLS & set(offered))
    if structured:
        facts = [data for data in (parse_result(block) for block in context) if data is not None]
        return [ToolCall(structured[0], write_draft(structured[0], question, facts))]
    turn = list(messages[turn_start + 1 :])
    calls_so_far = [call for message in turn for call in message.tool_calls]
    # Issues attached to the question count as looked up already.
    known = _context_calls(context)
    if not calls_so_far:
        first = _first_step(question, messages[: max(turn_start, 0)], offered, known)
        if first is not None:
            return first
    results = [*context, *(message.text for message in turn if message.role == "tool")]
    outcomes = _write_outcomes(turn)
    if outcomes:  # a resumed run: the asker decided on proposed writes; say how they ended
        return "\n".join(outcomes) + "\n\n" + SIMULATED_NOTE
    rounds = sum(1 for message in turn if message.tool_calls)
    if rounds < _MAX_TOOL_ROUNDS:
        follow_ups = _follow_ups(results, [*known, *calls_so_far], offered)
        if follow_ups:
            return follow_ups
    return compose_answer(results, question)


def _write_outcomes(turn: Sequence[ChatMessage]) -> list[str]:
    """What the app reported about decided writes (fenced with source="approval", or the denial)."""
    outcomes: list[str] = []
    for message in turn:
        if message.role != "tool":
            continue
        if 'source="approval"' in message.text:
            outcomes += [line.strip() for line in _FENCE.findall(message.text) if line.strip()]
        elif "nothing was changed" in message.text:
            outcomes.append(_first_line(message.text))
    return outcomes


def split_context(text: str) -> tuple[str, list[str]]:
    """The question and the fenced context the app attached after it (see bot/agent/runner.py).

    The app sends ``question``, a blank line, one line introducing the context, then the fences.
    """
    start = text.find("<untrusted-data")
    if start < 0:
        return text, []
    head = text[:start].rstrip()
    question = head.rsplit("\n\n", 1)[0] if "\n\n" in head else head
    return question, _FENCE_BLOCK.findall(text, start)


def _context_calls(context: Sequence[str]) -> list[ToolCall]:
    calls: list[ToolCall] = []
    for block in context:
        data = parse_result(block)
        if isinstance(data, dict) and "key" in data and "status" in data:
            calls.append(ToolCall(JIRA_GET, {"key": str(data["key"])}))
    return calls


def _last_user_index(messages: Sequence[ChatMessage]) -> int:
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].role == "user":
            return index
    return -1


def _first_step(
    question: str,
    history: Sequence[ChatMessage],
    offered: dict[str, OfferedTool],
    known: Sequence[ToolCall] = (),
) -> Reply | None:
    """The first lookups; None when everything the question names was attached to it already."""
    calls = _lookups(question, offered)
    if not calls and history:
        earlier = "\n".join(message.text for message in history if message.role in ("user", "assistant"))
        calls = _lookups(earlier, offered)
    if calls:
        known_keys = {_call_key(call) for call in known}
        fresh = [call for call in calls if _call_key(call) not in known_keys]
        return fresh[:_MAX_LOOKUPS] if fresh else None
    searches = _searches(question, offered)
    if searches:
        return searches
    if not offered:
        return (
            "I have no Jira or GitHub tools configured, so I cannot look anything up right now.\n\n"
            + SIMULATED_NOTE
        )
    return (
        "I could not find a Jira key, a pull request or search words in that question.\n\n" + SIMULATED_NOTE
    )


def _lookups(text: str, offered: dict[str, OfferedTool]) -> list[ToolCall]:
    calls: list[ToolCall] = []
    if JIRA_GET in offered:
        calls += [ToolCall(JIRA_GET, {"key": key}) for key in _unique(_JIRA_KEY.findall(text))]
    calls += _github_calls(text, offered)
    return calls


def _github_calls(text: str, offered: dict[str, OfferedTool]) -> list[ToolCall]:
    refs: list[tuple[str, str, int]] = []
    for repo, kind, number in _GITHUB_URL.findall(text):
        refs.append((GITHUB_PR if kind == "pull" else GITHUB_ISSUE, repo, int(number)))
    for repo, number in _GITHUB_REF.findall(_GITHUB_URL.sub(" ", text)):
        refs.append((GITHUB_PR, repo, int(number)))
    calls: list[ToolCall] = []
    for tool, repo, number in _unique(refs):
        name = tool if tool in offered else _other_github_tool(tool, offered)
        if name is not None:
            calls.append(ToolCall(name, {"repo": repo, "number": number}))
    return calls


def _other_github_tool(tool: str, offered: dict[str, OfferedTool]) -> str | None:
    other = GITHUB_ISSUE if tool == GITHUB_PR else GITHUB_PR
    return other if other in offered else None


def _searches(question: str, offered: dict[str, OfferedTool]) -> list[ToolCall]:
    words = [word for word in re.findall(r"[A-Za-z0-9][\w.-]*", question) if word.lower() not in _STOPWORDS]
    if not words:
        return []
    phrase = " ".join(words[:6])
    calls: list[ToolCall] = []
    if JIRA_SEARCH in offered:
        calls.append(ToolCall(JIRA_SEARCH, {"jql": f'text ~ "{phrase}" ORDER BY updated DESC', "limit": 5}))
    if GITHUB_SEARCH in offered:
        calls.append(ToolCall(GITHUB_SEARCH, {"query": phrase, "limit": 5}))
    return calls


def _follow_ups(
    results: Sequence[str], done: Sequence[ToolCall], offered: dict[str, OfferedTool]
) -> list[ToolCall]:
    done_keys = {_call_key(call) for call in done}
    candidates: list[ToolCall] = []
    for result in results:
        data = parse_result(result)
        if isinstance(data, dict) and JIRA_GET in offered:
            candidates += [ToolCall(JIRA_GET, {"key": key}) for key in _blocker_keys(data)]
        candidates += _github_calls(result, offered)
        candidates += _fallbacks_for_missing_pr(result, done, offered)
    fresh: list[ToolCall] = []
    for call in candidates:
        key = _call_key(call)
        if key not in done_keys:
            done_keys.add(key)
            fresh.append(call)
    return fresh[:_MAX_LOOKUPS]


def _fallbacks_for_missing_pr(
    result: str, done: Sequence[ToolCall], offered: dict[str, OfferedTool]
) -> list[ToolCall]:
    # A `repo#N` ref may be an issue rather than a PR; GitHub answers the PR lookup with 404 then.
    if GITHUB_ISSUE not in offered or "not found" not in result.lower():
        return []
    return [ToolCall(GITHUB_ISSUE, dict(call.arguments)) for call in done if call.name == GITHUB_PR]


def _blocker_keys(issue: dict[str, Any]) -> list[str]:
    links = issue.get("links") or []
    return [
        str(link["key"])
        for link in links
        if isinstance(link, dict) and "blocked by" in str(link.get("relation", "")) and link.get("key")
    ]


def _call_key(call: ToolCall) -> tuple[str, str]:
    if call.name in (GITHUB_PR, GITHUB_ISSUE):
        return (call.name, f"{call.arguments.get('repo')}#{call.arguments.get('number')}")
    return (call.name, json.dumps(call.arguments, sort_keys=True))


def parse_result(content: str) -> dict[str, Any] | None:
    """The JSON object of a tool result (bare, or inside an untrusted-data fence), or None."""
    for candidate in (content, *_FENCE.findall(content)):
        try:
            data = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(data, dict):
            return data
    return None


def compose_answer(results: Sequence[str], question: str = "") -> str:
    """A Markdown answer built only from the tool results, led by what the question asks about."""
    about_people = bool(re.search(r"\bwho(se|m)?\b", question, re.IGNORECASE))
    about_merging = bool(re.search(r"\b(merge|merged|checks?|ci|review)\b", question, re.IGNORECASE))
    sections: list[str] = []
    findings: list[str] = []
    people: list[str] = []
    needs: list[str] = []
    problems: list[str] = []
    for content in results:
        data = parse_result(content)
        if data is None:
            problems.append(
                "a result too long to read in full" if "<untrusted-data" in content else _first_line(content)
            )
        elif set(data) == {"error"}:
            problems.append(_first_line(str(data["error"])))
        elif "key" in data and "status" in data:
            sections.append(_jira_issue(data))
            findings += _jira_findings(data)
            people.append(f"{data['key']} is assigned to {data.get('assignee') or 'nobody'}.")
        elif "jql" in data:
            sections.append(_jira_search(data))
        elif "number" in data and "checks" in data:
            sections.append(_pull_request(data))
            findings += _pr_findings(data)
            people.append(_pr_people(data))
            needs.append(_pr_needs(data))
        elif "number" in data and "title" in data:
            sections.append(_github_issue(data))
        elif "items" in data and "query" in data:
            sections.append(_github_search(data))
    lead = people if about_people else needs if about_merging and needs else findings
    parts = (["**In short:** " + " ".join(lead)] if lead else []) + sections
    if problems:
        parts.append(
            "Some lookups did not help: " + "; ".join(f"`{problem}`" for problem in problems if problem)
        )
    if not sections and not problems:
        parts.append("The tools returned nothing I could use.")
    parts.append(SIMULATED_NOTE)
    return "\n\n".join(parts)


def _jira_issue(issue: dict[str, Any]) -> str:
    assignee = issue.get("assignee") or "nobody"
    title = f"**{issue['key']}** · {issue.get('summary', '')}"
    lines = [f"{title} — status *{issue['status']}*, assigned to {assignee}."]
    for link in issue.get("links") or []:
        if isinstance(link, dict):
            status = f", *{link['status']}*" if link.get("status") else ""
            lines.append(
                f"- {str(link.get('relation', 'linked to')).capitalize()} **{link.get('key')}**"
                f" ({link.get('summary', '')}{status})"
            )
    return "\n".join(lines)


def _jira_findings(issue: dict[str, Any]) -> list[str]:
    blockers = _blocker_keys(issue)
    if blockers:
        return [f"{issue['key']} is blocked by {', '.join(blockers)}."]
    return []


def _jira_search(result: dict[str, Any]) -> str:
    issues = [hit for hit in result.get("issues") or [] if isinstance(hit, dict)]
    if not issues:
        return "Jira search found no issues."
    lines = [f"Jira search found {len(issues)} issue(s):"]
    lines += [
        f"- **{hit.get('key')}** · {hit.get('summary', '')} — *{hit.get('status', '')}*" for hit in issues
    ]
    return "\n".join(lines)


def _pull_request(pr: dict[str, Any]) -> str:
    state = "merged" if pr.get("merged") else str(pr.get("state", ""))
    if pr.get("draft"):
        state += " (draft)"
    reviewers = ", ".join(pr.get("requested_reviewers") or [])
    review = f", review requested from {reviewers}" if reviewers else ""
    title = f"**{pr.get('repo')}#{pr['number']}** · {pr.get('title', '')}"
    lines = [f"{title} — {state}, by {pr.get('author', '?')}{review}."]
    checks = [check for check in pr.get("checks") or [] if isinstance(check, dict)]
    if checks:
        lines.append("- Checks: " + ", ".join(_check(check) for check in checks))
    return "\n".join(lines)


def _check(check: dict[str, Any]) -> str:
    conclusion = check.get("conclusion")
    mark = {"success": "✅", "failure": "❌", None: "⏳"}.get(conclusion, "⚠️")
    return f"{mark} {check.get('name')} ({conclusion or check.get('status', 'pending')})"


def _pr_needs(pr: dict[str, Any]) -> str:
    ref = f"{pr.get('repo')}#{pr['number']}"
    if pr.get("merged"):
        return f"{ref} is already merged."
    checks = [check for check in pr.get("checks") or [] if isinstance(check, dict)]
    failing = [
        str(c.get("name")) for c in checks if c.get("conclusion") in ("failure", "timed_out", "cancelled")
    ]
    pending = [str(c.get("name")) for c in checks if c.get("conclusion") is None]
    wanted = [f"a passing {name} check" for name in failing] + [f"{name} to finish" for name in pending]
    wanted += [f"a review from {name}" for name in pr.get("requested_reviewers") or []]
    if pr.get("draft"):
        wanted.append("to be marked ready for review")
    return f"{ref} still needs {_join(wanted)}." if wanted else f"{ref} looks ready to merge."


def _join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _pr_people(pr: dict[str, Any]) -> str:
    reviewers = ", ".join(pr.get("requested_reviewers") or [])
    review = f", with review requested from {reviewers}" if reviewers else ""
    return f"{pr.get('repo')}#{pr['number']} is by {pr.get('author', 'someone')}{review}."


def _pr_findings(pr: dict[str, Any]) -> list[str]:
    failing = [
        str(check.get("name"))
        for check in pr.get("checks") or []
        if isinstance(check, dict) and check.get("conclusion") in ("failure", "timed_out", "cancelled")
    ]
    ref = f"{pr.get('repo')}#{pr['number']}"
    if pr.get("merged"):
        return [f"{ref} is merged."]
    if failing:
        return [f"{ref} is still {pr.get('state', 'open')} with failing checks: {', '.join(failing)}."]
    return [f"{ref} is {pr.get('state', 'open')}."]


def _github_issue(issue: dict[str, Any]) -> str:
    labels = ", ".join(issue.get("labels") or [])
    label_text = f" [{labels}]" if labels else ""
    return (
        f"**{issue.get('repo')}#{issue['number']}** · {issue.get('title', '')} — {issue.get('state', '')},"
        f" by {issue.get('author', '?')}{label_text}."
    )


def _github_search(result: dict[str, Any]) -> str:
    items = [item for item in result.get("items") or [] if isinstance(item, dict)]
    if not items:
        return "GitHub search found nothing."
    lines = [f"GitHub search found {len(items)} result(s):"]
    for item in items:
        kind = "PR" if item.get("is_pull_request") else "issue"
        ref = f"{item.get('repo')}#{item.get('number')}"
        lines.append(f"- {kind} **{ref}** · {item.get('title', '')} — {item.get('state', '')}")
    return "\n".join(lines)


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line[:160]


def _unique(items: Iterable[_T]) -> list[_T]:
    seen: list[_T] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def split_words(text: str, words_per_delta: int = 3) -> list[str]:
    """Cut text into small deltas of a few words each, keeping every character."""
    tokens = re.findall(r"\S+\s*|\s+", text)
    return ["".join(tokens[i : i + words_per_delta]) for i in range(0, len(tokens), words_per_delta)]


def estimate_tokens(text: str) -> int:
    """A rough, deterministic token count (about four characters a token)."""
    return max(1, len(text) // 4) if text else 0
