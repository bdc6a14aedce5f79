"""How the SIMULATED model fills the bot's structured outputs: fixed rules over the facts it is given.

Offered ``submit_digest``, ``submit_triage`` or ``submit_issue_draft`` (the bot's drafting
port), the simulated model answers with that tool's arguments, written by the rules below from
the task text and the fenced facts (JSON) in the prompt. Nothing is learned or canned: every
key, name and link in an answer comes from the facts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from simulators.jira.jql_writer import simulated_people

DIGEST = "submit_digest"
TRIAGE = "submit_triage"
ISSUE_DRAFT = "submit_issue_draft"
TOOLS = frozenset({DIGEST, TRIAGE, ISSUE_DRAFT})

Facts = Sequence[dict[str, Any]]

_SCOPE = re.compile(r"digest for (.+?) as of", re.IGNORECASE)
_ASKS = re.compile(r"^The person asking says:\s*(.+)$", re.MULTILINE)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9-]{2,}")
_STOPWORDS = frozenset("the and for with from that this into when not are was has have all".split())
_BUG = re.compile(r"\b(bug|error|fail\w*|broken|crash\w*|exception|time[sd]? out|timeout|500)\b", re.I)
_STORY = re.compile(r"\b(as a user|would like|feature request|wish)\b", re.I)
_URGENT = re.compile(r"\b(urgent|asap|critical|outage|sev ?1|p0)\b", re.I)
_CRITICAL = re.compile(r"\b(outage|data loss|security|breach|vulnerab\w*)\b", re.I)
_VERBS = frozenset("add enable disable fix remove update roll rotate tidy archive prune renew trim".split())
_SEVERITY = {"Highest": "critical", "High": "major", "Medium": "minor", "Low": "trivial", "Lowest": "trivial"}


def write(tool: str, task: str, facts: Facts) -> dict[str, Any]:
    """The arguments the simulated model submits to ``tool``."""
    if tool == DIGEST:
        return digest(task, facts)
    if tool == TRIAGE:
        return triage(facts)
    return issue_draft(task, facts)


# -- digest ----------------------------------------------------------------------------------


def digest(task: str, facts: Facts) -> dict[str, Any]:
    kinds = {str(fact.get("kind")): list(fact.get("items") or []) for fact in facts}
    sections = [
        ("Blocked", [_issue_item(item) for item in kinds.get("blocked", [])]),
        ("In progress", [_issue_item(item) for item in kinds.get("in_progress", [])]),
        ("Waiting for review", [_pull_item(item) for item in kinds.get("waiting_for_review", [])]),
        ("Failing CI", [_run_item(item) for item in kinds.get("failing_ci", [])]),
    ]
    counts = [
        f"{len(kinds.get('blocked', []))} blocked",
        f"{len(kinds.get('in_progress', []))} in progress",
        f"{len(kinds.get('waiting_for_review', []))} pull request(s) waiting for review",
        f"{len(kinds.get('failing_ci', []))} failing workflow(s) on default branches",
    ]
    scope = _SCOPE.search(task)
    return {
        "title": f"Standup · {scope.group(1) if scope else 'team'}",
        "summary": ", ".join(counts) + ".",
        "sections": [{"title": title, "items": items} for title, items in sections if items],
    }


def _issue_item(item: dict[str, Any]) -> dict[str, str]:
    who = item.get("assignee") or "unassigned"
    return {"text": f"{item.get('key')} · {item.get('summary', '')} ({who})", "url": str(item.get("url", ""))}


def _pull_item(item: dict[str, Any]) -> dict[str, str]:
    reviewers = ", ".join(item.get("reviewers") or []) or "a reviewer"
    days = item.get("waiting_days", 0)
    who = item.get("author", "?")
    text = f"{item.get('ref')} · {item.get('title', '')} by {who}, {days} day(s) for {reviewers}"
    return {"text": text, "url": str(item.get("url", ""))}


def _run_item(item: dict[str, Any]) -> dict[str, str]:
    text = f"{item.get('repo')} {item.get('branch')}: {item.get('workflow')} {item.get('conclusion')}"
    return {"text": text, "url": str(item.get("url", ""))}


# -- triage ----------------------------------------------------------------------------------


def triage(facts: Facts) -> dict[str, Any]:
    issue = next((fact for fact in facts if fact.get("kind") == "issue"), {})
    candidates = next((fact.get("items") or [] for fact in facts if fact.get("kind") == "candidates"), [])
    related = next((fact.get("items") or [] for fact in facts if fact.get("kind") == "related"), [])
    summary = str(issue.get("summary", ""))
    labels = [str(label) for label in issue.get("labels") or []]
    words = _significant(summary)
    duplicates = [
        str(hit["key"]) for hit in candidates if len(words & _significant(str(hit.get("summary", "")))) >= 2
    ]
    owner = str(related[0].get("author", "")) if related else str(issue.get("assignee") or "")
    severity = _severity(summary, str(issue.get("description", "")), str(issue.get("priority", "")), labels)
    reasons = [f"priority {issue.get('priority') or 'unset'}"]
    if duplicates:
        reasons.append(f"similar to {', '.join(duplicates)}")
    if related:
        reasons.append(f"{owner} authored {related[0].get('repo')}#{related[0].get('number')}")
    return {
        "key": str(issue.get("key", "")),
        "component": labels[0] if labels else _topic(summary),
        "severity": severity,
        "duplicates": duplicates[:5],
        "suggested_owner": owner,
        "reasoning": "Based on " + "; ".join(reasons) + ".",
    }


def _severity(summary: str, description: str, priority: str, labels: list[str]) -> str:
    if _CRITICAL.search(summary) or _CRITICAL.search(description):
        return "critical"
    if "chore" in labels:
        return "trivial"
    return _SEVERITY.get(priority, "minor")


def _topic(summary: str) -> str:
    """The longest word of the summary that is not a verb: what the issue is about."""
    nouns = [word.lower() for word in _WORD.findall(summary) if word.lower() not in _VERBS | _STOPWORDS]
    return max(nouns, key=len, default="general")


def _significant(text: str) -> set[str]:
    return {word.lower() for word in _WORD.findall(text) if word.lower() not in _STOPWORDS}


# -- issue draft -----------------------------------------------------------------------------


def issue_draft(task: str, facts: Facts) -> dict[str, Any]:
    asked = _ASKS.search(task)
    request = asked.group(1).strip() if asked else ""
    messages = next((fact.get("messages") or [] for fact in facts if fact.get("kind") == "thread"), [])
    said = [
        str(message.get("text", "")).strip() for message in messages if str(message.get("text", "")).strip()
    ]
    first = request or (said[0] if said else "Follow up on the Slack thread")
    everything = " ".join([request, *said])
    draft: dict[str, Any] = {
        "summary": _one_line(first, 100),
        "description": _description(request, messages),
        "type": "Bug" if _BUG.search(everything) else "Story" if _STORY.search(everything) else "Task",
        "labels": ["from-slack"],
    }
    if _URGENT.search(everything):
        draft["priority"] = "High"
    person = _person(everything)
    if person:
        draft["suggested_assignee"] = person
    return draft


def _description(request: str, messages: Sequence[dict[str, Any]]) -> str:
    lines = [request, ""] if request else []
    if messages:
        lines.append("From the Slack thread:")
        for message in messages:
            who = "bot" if message.get("role") == "assistant" else "person"
            lines.append(f"- {who}: {_one_line(str(message.get('text', '')), 300)}")
    return "\n".join(lines).strip()


def _person(text: str) -> str:
    for person in simulated_people():
        first = person.display_name.split()[0]
        if re.search(rf"\b({re.escape(person.display_name)}|{re.escape(first)})\b", text):
            return person.display_name
    return ""


def _one_line(text: str, limit: int) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
