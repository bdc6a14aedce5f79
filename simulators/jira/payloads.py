"""Turns SIMULATED Jira seed records into Jira's REST payloads (issue, user, link, comment,
transition, project, sprint).

Cloud shapes carry ADF and ``accountId``; with ``wiki=True`` (Data Center) descriptions and
comment bodies become wiki-markup strings, users carry ``name``/``key``, and the sprint field
holds Jira Server's ``Sprint@…[id=…,state=ACTIVE,name=…]`` strings instead of objects. The sprint
field's id differs between the editions, as it does between real sites: clients must discover
it from the ``schema``/``names`` expands.
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
_ISSUE_TYPE = {"Epic": "10000", "Story": "10001", "Task": "10002", "Sub-task": "10003", "Bug": "10004"}
_REF_FIELDS = ("summary", "status", "priority", "issuetype")
SPRINT_FIELD = {False: "customfield_10020", True: "customfield_10104"}  # keyed by wiki (DC)
STORY_POINTS_FIELD = "customfield_10016"
_SPRINT_SCHEMA = "com.pyxis.greenhopper.jira:gh-sprint"
# status -> (transition id, action, target status): a small software workflow.
WORKFLOW: dict[str, list[tuple[str, str, str]]] = {
    "To Do": [("11", "Start progress", "In Progress"), ("31", "Done", "Done")],
    "In Progress": [("21", "Block", "Blocked"), ("31", "Done", "Done"), ("41", "Stop progress", "To Do")],
    "Blocked": [("51", "Unblock", "In Progress")],
    "Done": [("61", "Reopen", "To Do")],
}


class IssueRenderer:
    """Renders seed issues for one request (``base_url`` is where the client reached us)."""

    def __init__(
        self, seed: dict[str, Any], *, base_url: str, wiki: bool = False, software: bool = True
    ) -> None:
        self._seed = seed
        self._base = base_url.rstrip("/")
        self._wiki = wiki
        self._api = f"{self._base}/rest/api/{'2' if wiki else '3'}"
        self._users = {user["displayName"]: user for user in seed["users"]}
        self._account_ids = {user["accountId"]: user for user in seed["users"]}
        self._by_key = {issue["key"]: issue for issue in seed["issues"]}
        self._sprint_field = SPRINT_FIELD[wiki]
        self._software = software  # Jira Software installed: the site has a sprint field

    def issue(
        self, issue: dict[str, Any], requested: list[str], expand: frozenset[str] = frozenset()
    ) -> dict[str, Any]:
        fields = _select(self._all_fields(issue), requested)
        body: dict[str, Any] = {
            "expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
            "id": issue["id"],
            "self": f"{self._api}/issue/{issue['id']}",
            "key": issue["key"],
            "fields": fields,
        }
        if "names" in expand:
            body["names"] = {name: self._field_name(name) for name in fields}
        if "schema" in expand:
            body["schema"] = {name: self._schema(name) for name in fields}
        return body

    def transitions(self, issue: dict[str, Any]) -> dict[str, Any]:
        return {
            "expand": "transitions",
            "transitions": [
                {
                    "id": transition_id,
                    "name": action,
                    "to": self._status(target),
                    "hasScreen": False,
                    "isGlobal": False,
                    "isInitial": False,
                    "isAvailable": True,
                    "isConditional": False,
                    "isLooped": False,
                }
                for transition_id, action, target in WORKFLOW[issue["status"]]
            ],
        }

    def comment(self, issue: dict[str, Any], comment: dict[str, Any]) -> dict[str, Any]:
        return {
            "self": f"{self._api}/issue/{issue['id']}/comment/{comment['id']}",
            "id": comment["id"],
            "author": self.user(comment["author"]),
            "updateAuthor": self.user(comment["author"]),
            "body": self._document(comment["body"]),
            "created": comment["created"],
            "updated": comment["created"],
            "jsdPublic": True,
        }

    def project(self, project: dict[str, Any]) -> dict[str, Any]:
        return {
            "expand": "description,lead,issueTypes,url,projectKeys,permissions,insight",
            "self": f"{self._api}/project/{project['id']}",
            "id": project["id"],
            "key": project["key"],
            "name": project["name"],
            "avatarUrls": {"48x48": f"{self._base}/secure/projectavatar?pid={project['id']}"},
            "projectTypeKey": "software",
            "simplified": False,
            "style": "classic",
            "isPrivate": False,
            "properties": {},
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
        parent = issue.get("parent")
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
            "project": self._project(issue["project"]),
            "subtasks": [
                self._reference(other["key"])
                for other in self._seed["issues"]
                if other.get("parent") == issue["key"]
            ],
            **({"parent": self._reference(parent)} if parent else {}),
            "fixVersions": [self._version(name) for name in issue.get("fix_versions", [])],
            STORY_POINTS_FIELD: issue.get("story_points"),
            **(
                {self._sprint_field: self._sprints(issue.get("sprints", [])) or None}
                if self._software
                else {}
            ),
        }

    def _subtask_keys(self, key: str) -> list[str]:
        return [other["key"] for other in self._seed["issues"] if other.get("parent") == key]

    def _field_name(self, name: str) -> str:
        return "Sprint" if name == self._sprint_field else _FIELD_NAMES.get(name, name)

    def _status(self, name: str) -> dict[str, Any]:
        status_id, category_id, category_key, colour, category_name = _STATUS[name]
        return {
            "self": f"{self._api}/status/{status_id}",
            "id": status_id,
            "name": name,
            "description": "",
            "iconUrl": f"{self._base}/images/icons/statuses/generic.png",
            "statusCategory": {
                "self": f"{self._api}/statuscategory/{category_id}",
                "id": category_id,
                "key": category_key,
                "colorName": colour,
                "name": category_name,
            },
        }

    def _schema(self, name: str) -> dict[str, Any]:
        if name == self._sprint_field:
            return {"type": "array", "items": "json", "custom": _SPRINT_SCHEMA, "customId": int(name[12:])}
        if name == STORY_POINTS_FIELD:
            custom = "com.atlassian.jira.plugin.system.customfieldtypes:float"
            return {"type": "number", "custom": custom, "customId": int(name[12:])}
        return {"type": "string", "system": name}

    def _version(self, name: str) -> dict[str, Any]:
        version = next(v for v in self._seed["versions"] if v["name"] == name)
        return {"self": f"{self._api}/version/{version['id']}", **version, "archived": False}

    def _sprints(self, ids: list[int]) -> list[Any]:
        sprints = [sprint for sprint in self._seed["sprints"] if sprint["id"] in ids]
        if not self._wiki:
            return sprints
        # Jira Server/DC REST v2 serialises sprints with the Java toString of its Sprint class.
        return [
            f"com.atlassian.greenhopper.service.sprint.Sprint@{sprint['id']:x}a1[id={sprint['id']},"
            f"rapidViewId={sprint['boardId']},state={sprint['state'].upper()},name={sprint['name']},"
            f"startDate={sprint['startDate']},endDate={sprint['endDate']},completeDate=<null>,"
            f"sequence={sprint['id']},goal={sprint['goal']}]"
            for sprint in sprints
        ]

    def _ref_fields(self, issue: dict[str, Any]) -> dict[str, Any]:
        return {
            "summary": issue["summary"],
            "status": self._status(issue["status"]),
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
                "subtask": issue["issuetype"] == "Sub-task",
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
        comments = [self.comment(issue, comment) for comment in issue.get("comments", [])]
        return {
            "comments": comments,
            "self": f"{self._api}/issue/{issue['id']}/comment",
            "maxResults": len(comments),
            "total": len(comments),
            "startAt": 0,
        }

    def _project(self, key: str) -> dict[str, Any]:
        project = next(project for project in self._seed["projects"] if project["key"] == key)
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
        return "\n".join(self._wiki_block(node) for node in document.get("content", []))

    def _wiki_block(self, node: dict[str, Any], depth: int = 1) -> str:
        kind = node.get("type")
        children = node.get("content", [])
        if kind in ("bulletList", "orderedList"):
            marker = ("*" if kind == "bulletList" else "#") * depth
            return "\n".join(self._wiki_item(child, marker, depth) for child in children)
        if kind == "heading":
            return f"h{node.get('attrs', {}).get('level', 1)}. " + self._wiki_inline_of(node)
        if kind == "codeBlock":
            language = node.get("attrs", {}).get("language")
            tag = f"{{code:{language}}}" if language else "{code}"
            return tag + "\n" + "".join(str(child.get("text", "")) for child in children) + "\n{code}"
        if kind == "table":
            return "\n".join(self._wiki_row(row) for row in children)
        return self._wiki_inline_of(node)

    def _wiki_item(self, item: dict[str, Any], marker: str, depth: int) -> str:
        lines = []
        for child in item.get("content", []):
            if child.get("type") in ("bulletList", "orderedList"):
                lines.append(self._wiki_block(child, depth + 1))
            else:
                lines.append(f"{marker} {self._wiki_block(child, depth)}")
        return "\n".join(lines)

    def _wiki_row(self, row: dict[str, Any]) -> str:
        cells = row.get("content", [])
        header = bool(cells) and cells[0].get("type") == "tableHeader"
        bar = "||" if header else "|"
        texts = [" ".join(self._wiki_block(child) for child in cell.get("content", [])) for cell in cells]
        return bar + bar.join(texts) + bar

    def _wiki_inline_of(self, node: dict[str, Any]) -> str:
        return "".join(self._wiki_inline(child) for child in node.get("content", []))

    def _wiki_inline(self, node: dict[str, Any]) -> str:
        if node.get("type") == "mention":
            user = self._account_ids.get(node.get("attrs", {}).get("id", ""))
            return f"[~{user['name']}]" if user else str(node.get("attrs", {}).get("text", ""))
        text = str(node.get("text", ""))
        for mark in node.get("marks", []):
            href = mark.get("attrs", {}).get("href")
            if mark.get("type") == "link" and href and href != text:
                text = f"[{text}|{href}]"
            elif mark.get("type") == "strong":
                text = f"*{text}*"
            elif mark.get("type") == "code":
                text = f"{{{{{text}}}}}"
        return text


_FIELD_NAMES = {
    "summary": "Summary",
    "status": "Status",
    "priority": "Priority",
    "issuetype": "Issue Type",
    "assignee": "Assignee",
    "reporter": "Reporter",
    "labels": "Labels",
    "created": "Created",
    "updated": "Updated",
    "description": "Description",
    "issuelinks": "Linked Issues",
    "comment": "Comment",
    "project": "Project",
    "subtasks": "Sub-tasks",
    "parent": "Parent",
    "fixVersions": "Fix versions",
    STORY_POINTS_FIELD: "Story point estimate",
}


def _select(fields: dict[str, Any], requested: list[str]) -> dict[str, Any]:
    excluded = {name[1:] for name in requested if name.startswith("-")}
    wanted = {name for name in requested if not name.startswith("-")}
    everything = bool(wanted & {"*all", "*navigable"}) or not wanted
    return {
        name: value
        for name, value in fields.items()
        if (everything or name in wanted) and name not in excluded
    }
