"""Jira Cloud (REST v3) and Data Center (REST v2) client."""

from integrations.jira.client import JiraClient
from integrations.jira.models import (
    JiraAssigned,
    JiraComment,
    JiraCommentAdded,
    JiraCreatedIssue,
    JiraIssue,
    JiraIssueLink,
    JiraProject,
    JiraSearchHit,
    JiraSearchResult,
    JiraSprint,
    JiraSubtask,
    JiraTransition,
    JiraTransitioned,
)

__all__ = [
    "JiraAssigned",
    "JiraClient",
    "JiraCommentAdded",
    "JiraCreatedIssue",
    "JiraComment",
    "JiraIssue",
    "JiraIssueLink",
    "JiraProject",
    "JiraSearchHit",
    "JiraSearchResult",
    "JiraSprint",
    "JiraSubtask",
    "JiraTransition",
    "JiraTransitioned",
]
