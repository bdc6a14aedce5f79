"""The writes the SIMULATED Jira accepts: create issue, add comment, transition, assign.

Requests are checked the way Jira checks them (required fields, known project / issue type /
priority / user, ADF documents on Cloud and strings on Data Center, transitions valid from the
current status) and refused with Jira's ``ErrorCollection``. What is accepted changes the seed,
so a later read shows the new issue, comment, status or assignee. Nothing here is real.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from simulators.jira.payloads import _ISSUE_TYPE, _PRIORITY, WORKFLOW

_BLOCKS = frozenset(
    {"paragraph", "heading", "bulletList", "orderedList", "listItem", "codeBlock", "blockquote", "rule"}
    | {"table", "tableRow", "tableHeader", "tableCell", "panel", "mediaSingle", "mediaGroup", "media"}
)
_INLINES = frozenset({"text", "hardBreak", "mention", "emoji", "inlineCard", "status", "date"})
_MARKS = frozenset({"strong", "em", "code", "link", "strike", "underline", "subsup", "textColor"})
NOT_A_DOCUMENT = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
NOT_A_STRING = "Operation value must be a string"


class WriteRefused(Exception):
    """Jira's answer to a request it will not apply: a status and an ErrorCollection."""

    def __init__(self, status: int, messages: list[str], errors: dict[str, str] | None = None) -> None:
        super().__init__("; ".join(messages) or str(errors))
        self.status = status
        self.body: dict[str, Any] = {"errorMessages": messages, "errors": errors or {}}


class JiraWrites:
    """Applies writes to a seed (the simulator's live data)."""

    def __init__(self, seed: dict[str, Any], *, wiki: bool, clock: Callable[[], float] = time.time) -> None:
        self._seed = seed
        self._wiki = wiki
        self._clock = clock

    def create_issue(self, body: Any) -> dict[str, Any]:
        """The new seed issue; refuses what Jira would refuse."""
        fields = body.get("fields") if isinstance(body, dict) else None
        if not isinstance(fields, dict):
            raise WriteRefused(400, [], {"fields": "Field 'fields' is required."})
        errors: dict[str, str] = {}
        project = self._project(fields.get("project"))
        issue_type = _named(fields.get("issuetype"))
        summary = fields.get("summary")
        priority = _named(fields.get("priority")) if "priority" in fields else "Medium"
        if project is None:
            errors["project"] = "Specify a valid project ID or key"
        if issue_type not in _ISSUE_TYPE or issue_type == "Sub-task":
            errors["issuetype"] = "Specify a valid issue type"
        if not isinstance(summary, str) or not summary.strip():
            errors["summary"] = "You must specify a summary of the issue."
        elif len(summary) > 255 or "\n" in summary:
            errors["summary"] = "Summary must be less than 255 characters and on one line."
        if priority not in _PRIORITY:
            errors["priority"] = "Specify the Priority (name) in the string format"
        labels = fields.get("labels", [])
        if not isinstance(labels, list) or any(not isinstance(x, str) or " " in x or not x for x in labels):
            errors["labels"] = "Labels cannot contain spaces."
        description = fields.get("description")
        if description is not None and (problem := self._document_problem(description)):
            errors["description"] = problem
        assignee = self._assignee(fields["assignee"], errors) if fields.get("assignee") is not None else None
        if errors or project is None:
            raise WriteRefused(400, [], errors)
        now = self._now()
        issue: dict[str, Any] = {
            "id": str(max(int(issue["id"]) for issue in self._seed["issues"]) + 1),
            "key": f"{project['key']}-{self._next_number(project['key'])}",
            "project": project["key"],
            "summary": str(summary).strip(),
            "issuetype": issue_type,
            "status": "To Do",
            "priority": priority,
            "assignee": assignee,
            "reporter": self._seed["service_account"],
            "labels": list(labels),
            "created": now,
            "updated": now,
            "description": self._stored(description),
            "comments": [],
        }
        self._seed["issues"].append(issue)
        return issue

    def add_comment(self, issue: dict[str, Any], body: Any) -> dict[str, Any]:
        text = body.get("body") if isinstance(body, dict) else None
        problem = "Comment body can not be empty!" if text in (None, "") else self._document_problem(text)
        if problem:
            raise WriteRefused(400, [], {"comment": problem})
        existing = [int(c["id"]) for i in self._seed["issues"] for c in i.get("comments", [])]
        comment = {
            "id": str(max(existing, default=10000) + 1),
            "author": self._seed["service_account"],
            "body": self._stored(text),
            "created": self._now(),
        }
        issue.setdefault("comments", []).append(comment)
        issue["updated"] = comment["created"]
        return comment

    def transition(self, issue: dict[str, Any], body: Any) -> str:
        """The status the issue moved to."""
        wanted = body.get("transition") if isinstance(body, dict) else None
        transition_id = str(wanted.get("id", "")) if isinstance(wanted, dict) else ""
        for candidate, _action, target in WORKFLOW[issue["status"]]:
            if candidate == transition_id:
                issue["status"] = target
                issue["updated"] = self._now()
                return target
        raise WriteRefused(400, [f"Transition id '{transition_id}' is not valid for this issue."])

    def assign(self, issue: dict[str, Any], body: Any) -> str | None:
        """The new assignee's display name (None: unassigned)."""
        field = "name" if self._wiki else "accountId"
        if not isinstance(body, dict) or field not in body:
            raise WriteRefused(400, [], {"assignee": f"Field '{field}' is required."})
        errors: dict[str, str] = {}
        assignee = None if body[field] is None else self._assignee({field: body[field]}, errors)
        if errors:
            raise WriteRefused(400, [], errors)
        issue["assignee"] = assignee
        issue["updated"] = self._now()
        return assignee

    # -- checks ------------------------------------------------------------------------------

    def _project(self, value: Any) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            return None
        wanted = str(value.get("key") or value.get("id") or "")
        return next(
            (p for p in self._seed["projects"] if wanted in (p["key"], p["id"])),
            None,
        )

    def _assignee(self, value: Any, errors: dict[str, str]) -> str | None:
        field = "name" if self._wiki else "accountId"
        wanted = value.get(field) if isinstance(value, dict) else None
        user = next((u for u in self._seed["users"] if wanted and u.get(field) == wanted), None)
        if user is None:
            errors["assignee"] = f"User '{wanted}' does not exist."
            return None
        return str(user["displayName"])

    def _document_problem(self, value: Any) -> str | None:
        if self._wiki:
            return None if isinstance(value, str) else NOT_A_STRING
        return None if adf_problems(value) == [] else NOT_A_DOCUMENT

    def _stored(self, value: Any) -> Any:
        # The seed keeps ADF; Data Center's wiki string is kept as one paragraph and so is
        # rendered back verbatim.
        if value is None or not self._wiki:
            return value
        return {
            "type": "doc",
            "version": 1,
            "content": [{"type": "paragraph", "content": [{"type": "text", "text": value}]}],
        }

    def _next_number(self, project: str) -> int:
        numbers = [int(i["key"].rsplit("-", 1)[1]) for i in self._seed["issues"] if i["project"] == project]
        return max(numbers, default=0) + 1

    def _now(self) -> str:
        moment = datetime.fromtimestamp(self._clock(), tz=UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def adf_problems(document: Any) -> list[str]:
    """Why ``document`` is not an ADF doc Jira would accept (empty when it is)."""
    if not isinstance(document, dict) or document.get("type") != "doc" or document.get("version") != 1:
        return ["not a version 1 doc"]
    problems: list[str] = []
    _check_nodes(document.get("content"), "doc", problems)
    return problems


def _check_nodes(content: Any, where: str, problems: list[str]) -> None:
    if not isinstance(content, list):
        problems.append(f"{where}: content is not a list")
        return
    for index, node in enumerate(content):
        path = f"{where}/{index}"
        kind = node.get("type") if isinstance(node, dict) else None
        if kind not in _BLOCKS and kind not in _INLINES:
            problems.append(f"{path}: unknown node {kind!r}")
            continue
        if kind == "text":
            _check_text(node, path, problems)
        elif "content" in node:
            _check_nodes(node["content"], path, problems)


def _check_text(node: dict[str, Any], path: str, problems: list[str]) -> None:
    if not isinstance(node.get("text"), str) or not node["text"]:
        problems.append(f"{path}: empty text")
    marks = node.get("marks", [])
    kinds = [mark.get("type") for mark in marks if isinstance(mark, dict)]
    if len(kinds) != len(marks) or any(kind not in _MARKS for kind in kinds):
        problems.append(f"{path}: unknown mark")
    if "code" in kinds and any(kind not in ("code", "link") for kind in kinds):
        problems.append(f"{path}: code combined with {kinds}")
    for mark in marks:
        if isinstance(mark, dict) and mark.get("type") == "link":
            href = mark.get("attrs", {}).get("href") if isinstance(mark.get("attrs"), dict) else None
            if not isinstance(href, str) or not href:
                problems.append(f"{path}: link without href")


def _named(value: Any) -> str:
    return str(value.get("name", "")) if isinstance(value, dict) else ""
