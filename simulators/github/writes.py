"""The writes the SIMULATED GitHub accepts: open an issue, comment, re-run a run's failed jobs.

Checked as GitHub checks them (a title is required, bodies and labels are strings, a run must
have finished before its failed jobs can be re-run) and refused with GitHub's error bodies.
What is accepted changes the seed, so a later read shows the new issue, the comment count or
the re-queued run. Nothing here is real.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

Item = dict[str, Any]
FAILED = frozenset({"failure", "timed_out", "cancelled", "startup_failure"})


class WriteRefused(Exception):
    """GitHub's answer to a write it will not apply."""

    def __init__(self, status: int, message: str, errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or []


class GitHubWrites:
    """Applies writes to a seed (the simulator's live data)."""

    def __init__(self, seed: dict[str, Any], *, clock: Callable[[], float] = time.time) -> None:
        self._seed = seed
        self._clock = clock

    def create_issue(self, repo: Item, body: Any) -> Item:
        if not isinstance(body, dict):
            raise WriteRefused(400, "Problems parsing JSON")
        title = body.get("title")
        if isinstance(title, int) and not isinstance(title, bool):
            title = str(title)
        if not isinstance(title, str) or not title.strip():
            raise WriteRefused(422, "Validation Failed", [_error("Issue", "title", "missing_field")])
        text = body.get("body") or ""
        labels = body.get("labels", [])
        if not isinstance(text, str):
            raise WriteRefused(422, "Validation Failed", [_error("Issue", "body", "invalid")])
        if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
            raise WriteRefused(422, "Validation Failed", [_error("Issue", "labels", "invalid")])
        now = self._now()
        item: Item = {
            "number": max((existing["number"] for existing in repo["items"]), default=0) + 1,
            "kind": "issue",
            "title": title,
            "state": "open",
            "author": self._seed["viewer"],
            "labels": list(dict.fromkeys(labels)),
            "assignees": [],
            "body": text,
            "comments": 0,
            "created_at": now,
            "updated_at": now,
            "closed_at": None,
        }
        repo["items"].append(item)
        return item

    def comment(self, item: Item, body: Any) -> Item:
        text = body.get("body") if isinstance(body, dict) else None
        if not isinstance(text, str) or not text:
            raise WriteRefused(422, "Validation Failed", [_error("IssueComment", "body", "missing_field")])
        existing = [
            c["id"] for repo in self._seed["repos"] for i in repo["items"] for c in i.get("comment_list", [])
        ]
        comment: Item = {
            "id": max(existing, default=2_000_000_000) + 1,
            "author": self._seed["viewer"],
            "body": text,
            "created_at": self._now(),
        }
        item.setdefault("comment_list", []).append(comment)
        item["comments"] = item.get("comments", 0) + 1
        item["updated_at"] = comment["created_at"]
        return comment

    def rerun_failed_jobs(self, run: Item) -> None:
        if run["status"] != "completed":
            raise WriteRefused(403, "This workflow is already running")
        failed = [job for job in run["jobs"] if job.get("conclusion") in FAILED]
        if not failed:
            raise WriteRefused(403, "This workflow run has no failed jobs to re-run")
        run["run_attempt"] = run.get("run_attempt", 1) + 1
        run["status"], run["conclusion"] = "queued", None
        run["updated_at"] = self._now()
        for job in failed:
            job["status"], job["conclusion"], job["completed_at"] = "queued", None, None

    def _now(self) -> str:
        return datetime.fromtimestamp(self._clock(), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _error(resource: str, field: str, code: str) -> dict[str, str]:
    return {"resource": resource, "field": field, "code": code}
