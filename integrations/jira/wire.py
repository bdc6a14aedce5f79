"""Jira's response payloads as they arrive (the parts we read), validated at the edge.

Cloud v3 and Data Center v2 share these shapes; only ``description`` and comment ``body``
differ (ADF object on v3, wiki-markup string on v2), so they stay ``Any`` here.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel


def _as_text(value: object) -> str:
    return "" if value is None else str(value)


Text = Annotated[str, BeforeValidator(_as_text)]


class WireModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class Named(WireModel):
    name: Text = ""


class User(WireModel):
    display_name: Text = ""
    name: Text = ""  # Data Center user name; Cloud leaves it empty
    account_id: Text = ""  # Cloud's id for the person; Data Center leaves it empty
    email_address: Text = ""  # empty when the person's privacy settings hide it

    @property
    def label(self) -> str:
        return self.display_name or self.name


class RefFields(WireModel):
    summary: Text = ""
    status: Named | None = None


class IssueRef(WireModel):
    key: str
    fields: RefFields = Field(default_factory=RefFields)


class LinkType(WireModel):
    name: Text = ""
    inward: Text = ""
    outward: Text = ""


class IssueLink(WireModel):
    type: LinkType = Field(default_factory=LinkType)
    inward_issue: IssueRef | None = None
    outward_issue: IssueRef | None = None


class Version(WireModel):
    name: Text = ""


class Comment(WireModel):
    author: User | None = None
    created: Text = ""
    body: Any = None


class CommentPage(WireModel):
    comments: list[Comment] = Field(default_factory=list)
    total: int | None = None


class Fields(WireModel):
    summary: Text = ""
    status: Named | None = None
    issuetype: Named | None = None
    priority: Named | None = None
    assignee: User | None = None
    reporter: User | None = None
    labels: list[str] = Field(default_factory=list)
    created: Text = ""
    updated: Text = ""
    description: Any = None
    issuelinks: list[IssueLink] = Field(default_factory=list)
    subtasks: list[IssueRef] = Field(default_factory=list)
    parent: IssueRef | None = None
    fix_versions: list[Version] = Field(default_factory=list)
    # The API returns a page object; the spec's example shows a bare list. Accept both.
    comment: CommentPage | list[Comment] | None = None

    @property
    def comment_list(self) -> list[Comment]:
        if isinstance(self.comment, CommentPage):
            return self.comment.comments
        return self.comment or []

    @property
    def comment_total(self) -> int:
        if isinstance(self.comment, CommentPage) and self.comment.total is not None:
            return self.comment.total
        return len(self.comment_list)


class FieldSchema(WireModel):
    """One entry of the ``schema`` expand: how Jira types a field (custom fields name a plugin)."""

    type: Text = ""
    custom: Text = ""


class Issue(WireModel):
    id: Text = ""
    key: str
    fields: Fields = Field(default_factory=Fields)
    names: dict[str, Text] = Field(default_factory=dict)  # the ``names`` expand
    field_schemas: dict[str, FieldSchema] = Field(default_factory=dict, alias="schema")


class Transition(WireModel):
    id: Text
    name: Text = ""
    to: Named | None = None


class Transitions(WireModel):
    transitions: list[Transition] = Field(default_factory=list)


class Project(WireModel):
    key: str
    name: Text = ""


class ProjectPage(WireModel):
    """Cloud's ``/project/search`` page (Data Center's ``/project`` is a bare list)."""

    values: list[Project] = Field(default_factory=list)
    is_last: bool = True


class Count(WireModel):
    count: int


class SearchPage(WireModel):
    """A page of /rest/api/3/search/jql (token paging) or DC /rest/api/2/search (offset paging)."""

    issues: list[Issue] = Field(default_factory=list)
    is_last: bool | None = None
    next_page_token: str | None = None
    start_at: int = 0
    total: int | None = None


class Created(WireModel):
    """The answer to a create: an issue's ``{id, key, self}`` or a comment (whose key is empty)."""

    id: Text = ""
    key: Text = ""
