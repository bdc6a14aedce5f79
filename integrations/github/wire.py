"""GitHub REST payloads as they arrive (the parts we read), validated at the edge.

Shapes follow API version 2022-11-28; nothing here reads ``assignee`` or
``merge_commit_sha``, which version 2026-03-10 removes.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


def _as_text(value: object) -> str:
    return "" if value is None else str(value)


Text = Annotated[str, BeforeValidator(_as_text)]


class WireModel(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Account(WireModel):
    login: Text = ""


class Label(WireModel):
    name: Text = ""


class Ref(WireModel):
    ref: Text = ""
    sha: Text = ""


class PullRequest(WireModel):
    number: int
    html_url: Text = ""
    title: Text = ""
    state: Text = ""
    merged: bool = False
    merged_at: str | None = None
    draft: bool = False
    user: Account | None = None
    body: Text = ""
    base: Ref = Field(default_factory=Ref)
    head: Ref = Field(default_factory=Ref)
    mergeable: bool | None = None
    requested_reviewers: list[Account] = Field(default_factory=list)
    labels: list[Label] = Field(default_factory=list)
    created_at: Text = ""
    updated_at: Text = ""


class CheckRun(WireModel):
    name: Text = ""
    status: Text = ""
    conclusion: str | None = None
    html_url: Text = ""


class CheckRunPage(WireModel):
    total_count: int = 0
    check_runs: list[CheckRun] = Field(default_factory=list)


class Issue(WireModel):
    number: int
    html_url: Text = ""
    repository_url: Text = ""
    title: Text = ""
    state: Text = ""
    user: Account | None = None
    assignees: list[Account] = Field(default_factory=list)
    labels: list[Label] = Field(default_factory=list)
    comments: int = 0
    pull_request: dict[str, object] | None = None
    body: Text = ""
    created_at: Text = ""
    updated_at: Text = ""


class SearchPage(WireModel):
    total_count: int = 0
    incomplete_results: bool = False
    items: list[Issue] = Field(default_factory=list)
