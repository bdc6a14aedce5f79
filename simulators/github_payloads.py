"""Turns SIMULATED GitHub seed records into REST payloads (API version 2022-11-28 shapes).

API URLs (``url``, ``issue_url`` ...) point at the simulator; ``html_url`` stays on
github.com so the links match the demo story (e.g. https://github.com/acme/payments/pull/42).
"""

from __future__ import annotations

import base64
from typing import Any

WEB = "https://github.com"


def _node_id(prefix: str, number: int) -> str:
    return base64.b64encode(f"{prefix}{number}".encode()).decode().rstrip("=")


class GitHubRenderer:
    """Renders seed records; ``api`` is the base URL the client reached us at."""

    def __init__(self, seed: dict[str, Any], *, api: str) -> None:
        self._seed = seed
        self._api = api.rstrip("/")

    def user(self, login: str) -> dict[str, Any]:
        user_id = self._seed["users"].get(login, 0)
        return {
            "login": login,
            "id": user_id,
            "node_id": _node_id("04:User", user_id),
            "avatar_url": f"https://avatars.githubusercontent.com/u/{user_id}?v=4",
            "gravatar_id": "",
            "url": f"{self._api}/users/{login}",
            "html_url": f"{WEB}/{login}",
            "type": "User",
            "site_admin": False,
        }

    def repo(self, repo: dict[str, Any]) -> dict[str, Any]:
        owner, name = repo["full_name"].split("/")
        return {
            "id": repo["id"],
            "node_id": _node_id("010:Repository", repo["id"]),
            "name": name,
            "full_name": repo["full_name"],
            "private": repo["private"],
            "owner": {**self.user(owner), "type": "Organization"},
            "html_url": f"{WEB}/{repo['full_name']}",
            "url": f"{self._api}/repos/{repo['full_name']}",
            "default_branch": repo["default_branch"],
        }

    def labels(self, repo: dict[str, Any], names: list[str]) -> list[dict[str, Any]]:
        return [
            {
                "id": 208045900 + index,
                "node_id": _node_id("010:Label", 208045900 + index),
                "url": f"{self._api}/repos/{repo['full_name']}/labels/{name}",
                "name": name,
                "color": "d73a4a" if name == "bug" else "0e8a16",
                "default": name == "bug",
                "description": "",
            }
            for index, name in enumerate(names)
        ]

    def issue(self, repo: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
        full, number = repo["full_name"], item["number"]
        api = f"{self._api}/repos/{full}"
        web_kind = "pull" if item["kind"] == "pull" else "issues"
        body: dict[str, Any] = {
            "url": f"{api}/issues/{number}",
            "repository_url": api,
            "labels_url": f"{api}/issues/{number}/labels{{/name}}",
            "comments_url": f"{api}/issues/{number}/comments",
            "events_url": f"{api}/issues/{number}/events",
            "html_url": f"{WEB}/{full}/{web_kind}/{number}",
            "id": 1900000000 + number,
            "node_id": _node_id("05:Issue", 1900000000 + number),
            "number": number,
            "title": item["title"],
            "user": self.user(item["author"]),
            "labels": self.labels(repo, item.get("labels", [])),
            "state": item["state"],
            "state_reason": "completed" if item["state"] == "closed" else None,
            "locked": False,
            "assignee": self.user(item["assignees"][0]) if item.get("assignees") else None,
            "assignees": [self.user(login) for login in item.get("assignees", [])],
            "milestone": None,
            "comments": item.get("comments", 0),
            "created_at": item["created_at"],
            "updated_at": item["updated_at"],
            "closed_at": item.get("closed_at"),
            "author_association": "MEMBER",
            "body": item.get("body", ""),
        }
        if item["kind"] == "pull":
            body["pull_request"] = {
                "url": f"{api}/pulls/{number}",
                "html_url": f"{WEB}/{full}/pull/{number}",
                "diff_url": f"{WEB}/{full}/pull/{number}.diff",
                "patch_url": f"{WEB}/{full}/pull/{number}.patch",
                "merged_at": item.get("merged_at"),
            }
        return body

    def pull(self, repo: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
        full, number = repo["full_name"], item["number"]
        api = f"{self._api}/repos/{full}"
        issue = self.issue(repo, item)
        return {
            **{
                key: issue[key]
                for key in ("title", "user", "labels", "state", "locked", "assignee", "assignees")
            },
            **{key: issue[key] for key in ("milestone", "created_at", "updated_at", "closed_at", "body")},
            "url": f"{api}/pulls/{number}",
            "id": 2100000000 + number,
            "node_id": _node_id("011:PullRequest", 2100000000 + number),
            "html_url": f"{WEB}/{full}/pull/{number}",
            "diff_url": f"{WEB}/{full}/pull/{number}.diff",
            "patch_url": f"{WEB}/{full}/pull/{number}.patch",
            "issue_url": f"{api}/issues/{number}",
            "commits_url": f"{api}/pulls/{number}/commits",
            "review_comments_url": f"{api}/pulls/{number}/comments",
            "comments_url": f"{api}/issues/{number}/comments",
            "statuses_url": f"{api}/statuses/{item['head_sha']}",
            "number": number,
            "merged_at": item.get("merged_at"),
            "merge_commit_sha": item["head_sha"] if item.get("merged") else None,
            "requested_reviewers": [self.user(login) for login in item.get("requested_reviewers", [])],
            "requested_teams": [],
            "head": self._branch(repo, item["head"], item["head_sha"]),
            "base": self._branch(repo, item["base"], repo["main_sha"]),
            "author_association": "MEMBER",
            "auto_merge": None,
            "active_lock_reason": None,
            "draft": item.get("draft", False),
            "merged": item.get("merged", False),
            "mergeable": None if item["state"] == "closed" else True,
            "rebaseable": None if item["state"] == "closed" else True,
            "mergeable_state": "unknown" if item["state"] == "closed" else "unstable",
            "merged_by": self.user(repo["full_name"].split("/")[0]) if item.get("merged") else None,
            "comments": item.get("comments", 0),
            "review_comments": 0,
            "maintainer_can_modify": False,
            "commits": 1,
            "additions": item.get("additions", 0),
            "deletions": item.get("deletions", 0),
            "changed_files": item.get("changed_files", 0),
        }

    def _branch(self, repo: dict[str, Any], ref: str, sha: str) -> dict[str, Any]:
        owner = repo["full_name"].split("/")[0]
        return {
            "label": f"{owner}:{ref}",
            "ref": ref,
            "sha": sha,
            "user": self.user(owner),
            "repo": self.repo(repo),
        }

    def check_run(self, repo: dict[str, Any], sha: str, run: dict[str, Any]) -> dict[str, Any]:
        full = repo["full_name"]
        return {
            "id": run["id"],
            "head_sha": sha,
            "node_id": _node_id("08:CheckRun", run["id"]),
            "external_id": "",
            "url": f"{self._api}/repos/{full}/check-runs/{run['id']}",
            "html_url": f"{WEB}/{full}/runs/{run['id']}",
            "details_url": f"{WEB}/{full}/runs/{run['id']}",
            "status": run["status"],
            "conclusion": run.get("conclusion"),
            "started_at": run.get("started_at"),
            "completed_at": run.get("completed_at"),
            "output": {
                "title": run.get("title"),
                "summary": run.get("summary"),
                "text": None,
                "annotations_count": 0,
                "annotations_url": f"{self._api}/repos/{full}/check-runs/{run['id']}/annotations",
            },
            "name": run["name"],
            "check_suite": {"id": run["id"] // 10},
            "app": {"id": 15368, "slug": "github-actions", "name": "GitHub Actions"},
            "pull_requests": [],
        }
