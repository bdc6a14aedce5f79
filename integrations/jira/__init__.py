"""Jira Cloud (REST v3) and Data Center (REST v2) client."""

from integrations.jira.client import JiraClient
from integrations.jira.models import (
    JiraComment,
    JiraIssue,
    JiraIssueLink,
    JiraProject,
    JiraSearchHit,
    JiraSearchResult,
    JiraSprint,
    JiraSubtask,
    JiraTransition,
)

__all__ = [
    "JiraClient",
    "JiraComment",
    "JiraIssue",
    "JiraIssueLink",
    "JiraProject",
    "JiraSearchHit",
    "JiraSearchResult",
    "JiraSprint",
    "JiraSubtask",
    "JiraTransition",
]
