"""Turns SIMULATED GitHub seed records into REST payloads (API version 2022-11-28 shapes).

Every payload carries the fields GitHub's OpenAPI description marks as required, so the spec
checks in tests/integrations/test_github_spec.py can validate what the simulator serves. API
URLs (``url``, ``issue_url`` ...) point at the simulator; ``html_url`` stays on github.com so the
links match the demo story (e.g. https://github.com/acme/payments/pull/42).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

WEB = "https://github.com"
_REPO_URL_TEMPLATES = {
    "archive_url": "/{archive_format}{/ref}",
    "assignees_url": "/assignees{/user}",
    "blobs_url": "/git/blobs{/sha}",
    "branches_url": "/branches{/branch}",
    "collaborators_url": "/collaborators{/collaborator}",
    "comments_url": "/comments{/number}",
    "commits_url": "/commits{/sha}",
    "compare_url": "/compare/{base}...{head}",
    "contents_url": "/contents/{+path}",
    "contributors_url": "/contributors",
    "deployments_url": "/deployments",
    "downloads_url": "/downloads",
    "events_url": "/events",
    "forks_url": "/forks",
    "git_commits_url": "/git/commits{/sha}",
    "git_refs_url": "/git/refs{/sha}",
    "git_tags_url": "/git/tags{/sha}",
    "hooks_url": "/hooks",
    "issue_comment_url": "/issues/comments{/number}",
    "issue_events_url": "/issues/events{/number}",
    "issues_url": "/issues{/number}",
    "keys_url": "/keys{/key_id}",
    "labels_url": "/labels{/name}",
    "languages_url": "/languages",
    "merges_url": "/merges",
    "milestones_url": "/milestones{/number}",
    "notifications_url": "/notifications{?since,all,participating}",
    "pulls_url": "/pulls{/number}",
    "releases_url": "/releases{/id}",
    "stargazers_url": "/stargazers",
    "statuses_url": "/statuses/{sha}",
    "subscribers_url": "/subscribers",
    "subscription_url": "/subscription",
    "tags_url": "/tags",
    "teams_url": "/teams",
    "trees_url": "/git/trees{/sha}",
}


def _node_id(prefix: str, number: int) -> str:
    return base64.b64encode(f"{prefix}{number}".encode()).decode().rstrip("=")


def _first_line(message: str) -> str:
    return message.splitlines()[0] if message else ""


class GitHubRenderer:
    """Renders seed records; ``api`` is the base URL the client reached us at."""

    def __init__(self, seed: dict[str, Any], *, api: str) -> None:
        self._seed = seed
        self._api = api.rstrip("/")

    # -- people and places -------------------------------------------------------------------

    def user(self, login: str) -> dict[str, Any]:
        user_id = self._seed["users"].get(login, 0)
        api = f"{self._api}/users/{login}"
        return {
            "login": login,
            "id": user_id,
            "node_id": _node_id("04:User", user_id),
            "avatar_url": f"https://avatars.githubusercontent.com/u/{user_id}?v=4",
            "gravatar_id": "",
            "url": api,
            "html_url": f"{WEB}/{login}",
            "followers_url": f"{api}/followers",
            "following_url": f"{api}/following{{/other_user}}",
            "gists_url": f"{api}/gists{{/gist_id}}",
            "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{api}/subscriptions",
            "organizations_url": f"{api}/orgs",
            "repos_url": f"{api}/repos",
            "events_url": f"{api}/events{{/privacy}}",
            "received_events_url": f"{api}/received_events",
            "type": "User",
            "user_view_type": "public",
            "site_admin": False,
        }

    def organization(self, login: str) -> dict[str, Any]:
        return {**self.user(login), "type": "Organization"}

    def team(self, repo: dict[str, Any], slug: str) -> dict[str, Any]:
        org = repo["full_name"].split("/")[0]
        team_id = self._seed["users"].get(slug, 0)
        return {
            "id": team_id,
            "node_id": _node_id("04:Team", team_id),
            "url": f"{self._api}/organizations/{org}/team/{team_id}",
            "html_url": f"{WEB}/orgs/{org}/teams/{slug}",
            "name": slug,
            "slug": slug,
            "description": f"The {slug} team",
            "privacy": "closed",
            "notification_setting": "notifications_enabled",
            "permission": "pull",
            "members_url": f"{self._api}/organizations/{org}/team/{team_id}/members{{/member}}",
            "repositories_url": f"{self._api}/organizations/{org}/team/{team_id}/repos",
            "type": "organization",
            "parent": None,
        }

    def repo(self, repo: dict[str, Any]) -> dict[str, Any]:
        full = repo["full_name"]
        owner, name = full.split("/")
        api = f"{self._api}/repos/{full}"
        return {
            "id": repo["id"],
            "node_id": _node_id("010:Repository", repo["id"]),
            "name": name,
            "full_name": full,
            "private": repo["private"],
            "owner": self.organization(owner),
            "html_url": f"{WEB}/{full}",
            "description": repo.get("description", "Payments service"),
            "fork": False,
            "url": api,
            **{key: api + suffix for key, suffix in _REPO_URL_TEMPLATES.items()},
            "git_url": f"git://github.com/{full}.git",
            "ssh_url": f"git@github.com:{full}.git",
            "clone_url": f"{WEB}/{full}.git",
            "svn_url": f"{WEB}/{full}",
            "mirror_url": None,
            "homepage": None,
            "language": "Python",
            "forks": 0,
            "forks_count": 0,
            "stargazers_count": 0,
            "watchers": 0,
            "watchers_count": 0,
            "size": 1024,
            "default_branch": repo["default_branch"],
            "open_issues": sum(1 for item in repo["items"] if item["state"] == "open"),
            "open_issues_count": sum(1 for item in repo["items"] if item["state"] == "open"),
            "has_issues": True,
            "has_projects": False,
            "has_wiki": False,
            "has_pages": False,
            "has_downloads": True,
            "archived": False,
            "disabled": False,
            "visibility": "private" if repo["private"] else "public",
            "license": None,
            "pushed_at": "2026-11-24T11:20:13Z",
            "created_at": "2024-02-01T09:00:00Z",
            "updated_at": "2026-11-24T11:20:13Z",
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

    # -- issues and pull requests ------------------------------------------------------------

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

    def comment(self, repo: dict[str, Any], item: dict[str, Any], comment: dict[str, Any]) -> dict[str, Any]:
        full, number = repo["full_name"], item["number"]
        web_kind = "pull" if item["kind"] == "pull" else "issues"
        return {
            "id": comment["id"],
            "node_id": _node_id("012:IssueComment", comment["id"]),
            "url": f"{self._api}/repos/{full}/issues/comments/{comment['id']}",
            "html_url": f"{WEB}/{full}/{web_kind}/{number}#issuecomment-{comment['id']}",
            "body": comment["body"],
            "user": self.user(comment["author"]),
            "created_at": comment["created_at"],
            "updated_at": comment["created_at"],
            "issue_url": f"{self._api}/repos/{full}/issues/{number}",
            "author_association": "NONE",
        }

    def pull(self, repo: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
        full, number = repo["full_name"], item["number"]
        api = f"{self._api}/repos/{full}"
        issue = self.issue(repo, item)
        closed = item["state"] == "closed"
        reviews = item.get("reviews", [])
        blocked = any(review["state"] == "CHANGES_REQUESTED" for review in reviews)
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
            "review_comment_url": f"{api}/pulls/comments{{/number}}",
            "comments_url": f"{api}/issues/{number}/comments",
            "statuses_url": f"{api}/statuses/{item['head_sha']}",
            "number": number,
            "merged_at": item.get("merged_at"),
            "merge_commit_sha": item["head_sha"] if item.get("merged") else None,
            "requested_reviewers": [self.user(login) for login in item.get("requested_reviewers", [])],
            "requested_teams": [self.team(repo, slug) for slug in item.get("requested_teams", [])],
            "head": self._branch(repo, item["head"], item["head_sha"]),
            "base": self._branch(repo, item["base"], repo["main_sha"]),
            "_links": self._pull_links(full, number, item["head_sha"]),
            "author_association": "MEMBER",
            "auto_merge": None,
            "active_lock_reason": None,
            "draft": item.get("draft", False),
            "merged": item.get("merged", False),
            "mergeable": None if closed else not blocked,
            "rebaseable": None if closed else True,
            "mergeable_state": "unknown" if closed else "blocked" if blocked else "unstable",
            "merged_by": self.user(repo["full_name"].split("/")[0]) if item.get("merged") else None,
            "comments": item.get("comments", 0),
            "review_comments": 0,
            "maintainer_can_modify": False,
            "commits": len(item.get("commits", [])) or 1,
            "additions": item.get("additions", 0),
            "deletions": item.get("deletions", 0),
            "changed_files": item.get("changed_files", 0),
        }

    def _pull_links(self, full: str, number: int, sha: str) -> dict[str, Any]:
        api = f"{self._api}/repos/{full}"
        hrefs = {
            "self": f"{api}/pulls/{number}",
            "html": f"{WEB}/{full}/pull/{number}",
            "issue": f"{api}/issues/{number}",
            "comments": f"{api}/issues/{number}/comments",
            "review_comments": f"{api}/pulls/{number}/comments",
            "review_comment": f"{api}/pulls/comments{{/number}}",
            "commits": f"{api}/pulls/{number}/commits",
            "statuses": f"{api}/statuses/{sha}",
        }
        return {name: {"href": href} for name, href in hrefs.items()}

    def _branch(self, repo: dict[str, Any], ref: str, sha: str) -> dict[str, Any]:
        owner = repo["full_name"].split("/")[0]
        return {
            "label": f"{owner}:{ref}",
            "ref": ref,
            "sha": sha,
            "user": self.organization(owner),
            "repo": self.repo(repo),
        }

    def review(self, repo: dict[str, Any], item: dict[str, Any], review: dict[str, Any]) -> dict[str, Any]:
        full, number = repo["full_name"], item["number"]
        html = f"{WEB}/{full}/pull/{number}#pullrequestreview-{review['id']}"
        pull_url = f"{self._api}/repos/{full}/pulls/{number}"
        return {
            "id": review["id"],
            "node_id": _node_id("017:PullRequestReview", review["id"]),
            "user": self.user(review["user"]),
            "body": review.get("body", ""),
            "state": review["state"],
            "html_url": html,
            "pull_request_url": pull_url,
            "_links": {"html": {"href": html}, "pull_request": {"href": pull_url}},
            "submitted_at": review["submitted_at"],
            "commit_id": item["head_sha"],
            "author_association": "MEMBER",
        }

    def file(self, repo: dict[str, Any], sha: str, entry: dict[str, Any]) -> dict[str, Any]:
        full, name = repo["full_name"], entry["filename"]
        return {
            "sha": hashlib.sha1(f"{sha}:{name}".encode()).hexdigest(),
            "filename": name,
            "status": entry["status"],
            "additions": entry["additions"],
            "deletions": entry["deletions"],
            "changes": entry["additions"] + entry["deletions"],
            "blob_url": f"{WEB}/{full}/blob/{sha}/{name}",
            "raw_url": f"{WEB}/{full}/raw/{sha}/{name}",
            "contents_url": f"{self._api}/repos/{full}/contents/{name}?ref={sha}",
            "patch": f"@@ -1,{entry['deletions']} +1,{entry['additions']} @@",
        }

    # -- commit state ------------------------------------------------------------------------

    def combined_status(
        self, repo: dict[str, Any], sha: str, statuses: list[dict[str, Any]]
    ) -> dict[str, Any]:
        api = f"{self._api}/repos/{repo['full_name']}"
        return {
            "state": _combined_state([status["state"] for status in statuses]),
            "statuses": [self.status(repo, sha, status) for status in statuses],
            "sha": sha,
            "total_count": len(statuses),
            "repository": self.repo(repo),
            "commit_url": f"{api}/commits/{sha}",
            "url": f"{api}/commits/{sha}/status",
        }

    def status(self, repo: dict[str, Any], sha: str, status: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": f"{self._api}/repos/{repo['full_name']}/statuses/{sha}",
            "avatar_url": "https://avatars.githubusercontent.com/oa/4?v=4",
            "id": status["id"],
            "node_id": _node_id("013:StatusContext", status["id"]),
            "state": status["state"],
            "description": status.get("description"),
            "target_url": status.get("target_url"),
            "context": status["context"],
            "created_at": status["created_at"],
            "updated_at": status["updated_at"],
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
            "app": self._actions_app(),
            "pull_requests": [],
        }

    def _actions_app(self) -> dict[str, Any]:
        return {
            "id": 15368,
            "slug": "github-actions",
            "node_id": _node_id("03:Integration", 15368),
            "owner": self.organization("github"),
            "name": "GitHub Actions",
            "description": "Automate your workflow from idea to production",
            "external_url": "https://help.github.com/en/actions",
            "html_url": f"{WEB}/apps/github-actions",
            "created_at": "2018-07-30T09:30:17Z",
            "updated_at": "2024-04-10T20:33:16Z",
            "permissions": {"actions": "write", "checks": "write", "contents": "write"},
            "events": ["check_run", "check_suite", "push", "pull_request"],
        }

    # -- commits and comparisons -------------------------------------------------------------

    def commit(self, repo: dict[str, Any], commit: dict[str, Any], parent: str | None) -> dict[str, Any]:
        full, sha = repo["full_name"], commit["sha"]
        api = f"{self._api}/repos/{full}"
        person = {
            "name": commit["author"],
            "email": f"{commit['author']}@acme.example",
            "date": commit["date"],
        }
        return {
            "url": f"{api}/commits/{sha}",
            "sha": sha,
            "node_id": _node_id("06:Commit", int(sha[:8], 16)),
            "html_url": f"{WEB}/{full}/commit/{sha}",
            "comments_url": f"{api}/commits/{sha}/comments",
            "commit": {
                "url": f"{api}/git/commits/{sha}",
                "author": person,
                "committer": person,
                "message": commit["message"],
                "comment_count": 0,
                "tree": {"sha": sha[::-1], "url": f"{api}/git/trees/{sha[::-1]}"},
            },
            "author": self.user(commit["author"]),
            "committer": self.user(commit["author"]),
            "parents": [] if parent is None else [{"sha": parent, "url": f"{api}/commits/{parent}"}],
        }

    def commit_with_changes(
        self, repo: dict[str, Any], commit: dict[str, Any], parent: str | None, files: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """GET .../commits/{ref}: a commit as a comparison lists it, plus its stats and files."""
        additions = sum(entry["additions"] for entry in files)
        deletions = sum(entry["deletions"] for entry in files)
        return {
            **self.commit(repo, commit, parent),
            "stats": {"total": additions + deletions, "additions": additions, "deletions": deletions},
            "files": [self.file(repo, commit["sha"], entry) for entry in files],
        }

    def comparison(
        self,
        repo: dict[str, Any],
        basehead: str,
        *,
        status: str,
        base_commit: dict[str, Any],
        ahead: list[dict[str, Any]],
        behind: list[dict[str, Any]],
        files: list[dict[str, Any]],
    ) -> dict[str, Any]:
        full = repo["full_name"]
        parents = [base_commit["sha"], *(commit["sha"] for commit in ahead)]
        head_sha = ahead[-1]["sha"] if ahead else base_commit["sha"]
        return {
            "url": f"{self._api}/repos/{full}/compare/{basehead}",
            "html_url": f"{WEB}/{full}/compare/{basehead}",
            "permalink_url": f"{WEB}/{full}/compare/{base_commit['sha'][:7]}...{head_sha[:7]}",
            "diff_url": f"{WEB}/{full}/compare/{basehead}.diff",
            "patch_url": f"{WEB}/{full}/compare/{basehead}.patch",
            "base_commit": self.commit(repo, base_commit, None),
            "merge_base_commit": self.commit(repo, base_commit, None),
            "status": status,
            "ahead_by": len(ahead),
            "behind_by": len(behind),
            "total_commits": len(ahead),
            "commits": [self.commit(repo, commit, parents[index]) for index, commit in enumerate(ahead)],
            "files": [self.file(repo, head_sha, entry) for entry in files],
        }

    # -- Actions -----------------------------------------------------------------------------

    def workflow_run(self, repo: dict[str, Any], run: dict[str, Any]) -> dict[str, Any]:
        full, run_id = repo["full_name"], run["id"]
        api = f"{self._api}/repos/{full}/actions/runs/{run_id}"
        minimal = self.repo(repo)
        return {
            "id": run_id,
            "name": run["name"],
            "node_id": _node_id("011:WorkflowRun", run_id),
            "check_suite_id": run_id * 10,
            "check_suite_node_id": _node_id("010:CheckSuite", run_id * 10),
            "head_branch": run["head_branch"],
            "head_sha": run["head_sha"],
            "path": ".github/workflows/ci.yml",
            "display_title": run["display_title"],
            "run_number": run["run_number"],
            "run_attempt": run["run_attempt"],
            "event": run["event"],
            "status": run["status"],
            "conclusion": run.get("conclusion"),
            "workflow_id": 161335,
            "url": api,
            "html_url": f"{WEB}/{full}/actions/runs/{run_id}",
            "pull_requests": [],
            "created_at": run["created_at"],
            "updated_at": run["updated_at"],
            "run_started_at": run["created_at"],
            "actor": self.user(run["actor"]),
            "triggering_actor": self.user(run["actor"]),
            "jobs_url": f"{api}/jobs",
            "logs_url": f"{api}/logs",
            "check_suite_url": f"{self._api}/repos/{full}/check-suites/{run_id * 10}",
            "artifacts_url": f"{api}/artifacts",
            "cancel_url": f"{api}/cancel",
            "rerun_url": f"{api}/rerun",
            "workflow_url": f"{self._api}/repos/{full}/actions/workflows/161335",
            "head_commit": {
                "id": run["head_sha"],
                "tree_id": run["head_sha"][::-1],
                "message": run["display_title"],
                "timestamp": run["created_at"],
                "author": {"name": run["actor"], "email": f"{run['actor']}@acme.example"},
                "committer": {"name": run["actor"], "email": f"{run['actor']}@acme.example"},
            },
            "repository": minimal,
            "head_repository": minimal,
        }

    def job(self, repo: dict[str, Any], run: dict[str, Any], job: dict[str, Any]) -> dict[str, Any]:
        full = repo["full_name"]
        return {
            "id": job["id"],
            "run_id": run["id"],
            "run_url": f"{self._api}/repos/{full}/actions/runs/{run['id']}",
            "run_attempt": run["run_attempt"],
            "node_id": _node_id("08:CheckRun", job["id"]),
            "head_sha": run["head_sha"],
            "head_branch": run["head_branch"],
            "workflow_name": run["name"],
            "url": f"{self._api}/repos/{full}/actions/jobs/{job['id']}",
            "html_url": f"{WEB}/{full}/actions/runs/{run['id']}/job/{job['id']}",
            "status": job["status"],
            "conclusion": job.get("conclusion"),
            "created_at": job["started_at"],
            "started_at": job["started_at"],
            "completed_at": job.get("completed_at"),
            "name": job["name"],
            "steps": [
                {
                    "name": step["name"],
                    "status": step["status"],
                    "conclusion": step.get("conclusion"),
                    "number": step["number"],
                    "started_at": job["started_at"],
                    "completed_at": job.get("completed_at"),
                }
                for step in job.get("steps", [])
            ],
            "check_run_url": f"{self._api}/repos/{full}/check-runs/{job['id']}",
            "labels": ["ubuntu-latest"],
            "runner_id": 7,
            "runner_name": "GitHub Actions 7",
            "runner_group_id": 2,
            "runner_group_name": "GitHub Actions",
        }

    def job_log(self, job: dict[str, Any], *, preamble_lines: int = 200) -> str:
        """A plain-text log: a long setup preamble, then the job's own last lines."""
        stamp = job["started_at"].replace("Z", ".0000000Z")
        preamble = [f"{stamp} ##[group]Setup step {index}" for index in range(1, preamble_lines + 1)]
        own = [f"{stamp} {line}" for line in job.get("log", [])]
        return "\n".join(preamble + own) + "\n"

    def access_token(self, token: str, expires_at: str) -> dict[str, Any]:
        return {
            "token": token,
            "expires_at": expires_at,
            "permissions": {"issues": "read", "pull_requests": "read", "checks": "read", "actions": "read"},
            "repository_selection": "selected",
        }


def _combined_state(states: list[str]) -> str:
    # GitHub: failure if any error/failure; pending if none yet or any pending; else success.
    if any(state in ("error", "failure") for state in states):
        return "failure"
    if not states or any(state == "pending" for state in states):
        return "pending"
    return "success"
