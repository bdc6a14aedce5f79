"""Turns SIMULATED Jira seed records into Jira's REST payloads (issue, user, link, comment).

Cloud shapes carry ADF and ``accountId``; with ``wiki=True`` (Data Center) descriptions and
comment bodies become wiki-markup strings and users carry ``name``/``key``.
"""

from __future__ import annotations

from typing import Any

_STATUS = {  # name -> (id, statusCategory id, key, colour, category name)
    "To Do": ("10000", 2, "new", "blue-gray", "To Do"),
    "In Progress": ("3", 4, "indeterminate", "yellow", "In Progress"),
    "Blocked": ("10001", 4, "indeterminate", "yellow", "In Progress"),
    "Done": ("10002", 3, "done", "green", "Done"),
}
_PRIORITY = {"Highest": "1", "High": "2", "Medium": "3", "Low": "4", "Lowest": "5"}
_ISSUE_TYPE = {"Epic": "10000", "Story": "10001", "Task": "10002", "Bug": "10004"}
_REF_FIELDS = ("summary", "status", "priority", "issuetype")


class IssueRenderer:
    """Renders seed issues for one request (``base_url`` is where the client reached us)."""

    def __init__(self, seed: dict[str, Any], *, base_url: str, wiki: bool = False) -> None:
        self._seed = seed
        self._base = base_url.rstrip("/")
        self._wiki = wiki
        self._api = f"{self._base}/rest/api/{'2' if wiki else '3'}"
        self._users = {user["displayName"]: user for user in seed["users"]}
        self._by_key = {issue["key"]: issue for issue in seed["issues"]}

    def issue(self, issue: dict[str, Any], requested: list[str]) -> dict[str, Any]:
        every = self._all_fields(issue)
        return {
            "expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
            "id": issue["id"],
            "self": f"{self._api}/issue/{issue['id']}",
            "key": issue["key"],
            "fields": _select(every, requested),
        }

    def user(self, name: str | None) -> dict[str, Any] | None:
        if name is None:
            return None
        user = self._users[name]
        body: dict[str, Any] = {
            "displayName": user["displayName"],
            "emailAddress": user["emailAddress"],
            "active": True,
            "timeZone": "Europe/London",
            "avatarUrls": {"48x48": f"{self._base}/secure/useravatar?size=large&ownerId={user['accountId']}"},
        }
        if self._wiki:
            body.update(self=f"{self._api}/user?username={user['name']}", name=user["name"], key=user["name"])
        else:
            body.update(
                self=f"{self._api}/user?accountId={user['accountId']}",
                accountId=user["accountId"],
                accountType="atlassian",
            )
        return body

    def _all_fields(self, issue: dict[str, Any]) -> dict[str, Any]:
        return {
            **self._ref_fields(issue),
            "assignee": self.user(issue.get("assignee")),
            "reporter": self.user(issue.get("reporter")),
            "labels": list(issue.get("labels", [])),
            "created": issue["created"],
            "updated": issue["updated"],
            "description": self._document(issue.get("description")),
            "issuelinks": self._links(issue),
            "comment": self._comments(issue),
            "project": self._project(),
        }

    def _ref_fields(self, issue: dict[str, Any]) -> dict[str, Any]:
        status_id, category_id, category_key, colour, category_name = _STATUS[issue["status"]]
        return {
            "summary": issue["summary"],
            "status": {
                "self": f"{self._api}/status/{status_id}",
                "id": status_id,
                "name": issue["status"],
                "description": "",
                "iconUrl": f"{self._base}/images/icons/statuses/generic.png",
                "statusCategory": {
                    "self": f"{self._api}/statuscategory/{category_id}",
                    "id": category_id,
                    "key": category_key,
                    "colorName": colour,
                    "name": category_name,
                },
            },
            "priority": {
                "self": f"{self._api}/priority/{_PRIORITY[issue['priority']]}",
                "id": _PRIORITY[issue["priority"]],
                "name": issue["priority"],
                "iconUrl": f"{self._base}/images/icons/priorities/{issue['priority'].lower()}.svg",
            },
            "issuetype": {
                "self": f"{self._api}/issuetype/{_ISSUE_TYPE[issue['issuetype']]}",
                "id": _ISSUE_TYPE[issue["issuetype"]],
                "name": issue["issuetype"],
                "subtask": False,
                "hierarchyLevel": 0,
            },
        }

    def _reference(self, key: str) -> dict[str, Any]:
        other = self._by_key[key]
        fields = self._ref_fields(other)
        return {
            "id": other["id"],
            "key": key,
            "self": f"{self._api}/issue/{other['id']}",
            "fields": {name: fields[name] for name in _REF_FIELDS},
        }

    def _links(self, issue: dict[str, Any]) -> list[dict[str, Any]]:
        rendered = []
        for link in self._seed.get("links", []):
            kind = self._seed["link_types"][link["type"]]
            body: dict[str, Any] = {
                "id": link["id"],
                "self": f"{self._api}/issueLink/{link['id']}",
                "type": {
                    "id": kind["id"],
                    "name": link["type"],
                    "inward": kind["inward"],
                    "outward": kind["outward"],
                },
            }
            # Seen from the source the other end is outward ("blocks"); from the target, inward.
            if link["source"] == issue["key"]:
                rendered.append({**body, "outwardIssue": self._reference(link["target"])})
            elif link["target"] == issue["key"]:
                rendered.append({**body, "inwardIssue": self._reference(link["source"])})
        return rendered

    def _comments(self, issue: dict[str, Any]) -> dict[str, Any]:
        comments = [
            {
                "self": f"{self._api}/issue/{issue['id']}/comment/{comment['id']}",
                "id": comment["id"],
                "author": self.user(comment["author"]),
                "updateAuthor": self.user(comment["author"]),
                "body": self._document(comment["body"]),
                "created": comment["created"],
                "updated": comment["created"],
                "jsdPublic": True,
            }
            for comment in issue.get("comments", [])
        ]
        return {
            "comments": comments,
            "self": f"{self._api}/issue/{issue['id']}/comment",
            "maxResults": len(comments),
            "total": len(comments),
            "startAt": 0,
        }

    def _project(self) -> dict[str, Any]:
        project = self._seed["project"]
        return {
            "self": f"{self._api}/project/{project['id']}",
            "id": project["id"],
            "key": project["key"],
            "name": project["name"],
            "projectTypeKey": "software",
            "simplified": False,
        }

    def _document(self, document: Any) -> Any:
        if document is None or not self._wiki:
            return document
        return "\n".join(_wiki_block(node) for node in document.get("content", []))


def _select(fields: dict[str, Any], requested: list[str]) -> dict[str, Any]:
    excluded = {name[1:] for name in requested if name.startswith("-")}
    wanted = {name for name in requested if not name.startswith("-")}
    everything = bool(wanted & {"*all", "*navigable"}) or not wanted
    return {
        name: value
        for name, value in fields.items()
        if (everything or name in wanted) and name not in excluded
    }


def _wiki_block(node: dict[str, Any]) -> str:
    if node.get("type") == "bulletList":
        return "\n".join("* " + _wiki_block(child) for child in node.get("content", []))
    if node.get("type") == "listItem":
        return " ".join(_wiki_block(child) for child in node.get("content", []))
    return "".join(_wiki_inline(child) for child in node.get("content", []))


def _wiki_inline(node: dict[str, Any]) -> str:
    text = str(node.get("text", ""))
    for mark in node.get("marks", []):
        href = mark.get("attrs", {}).get("href")
        if mark.get("type") == "link" and href and href != text:
            return f"[{text}|{href}]"
    return text
