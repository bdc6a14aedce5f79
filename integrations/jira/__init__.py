"""Jira Cloud (REST v3) and Data Center (REST v2) client."""

from integrations.jira.client import JiraClient
from integrations.jira.models import JiraComment, JiraIssue, JiraIssueLink, JiraSearchResult

__all__ = ["JiraClient", "JiraComment", "JiraIssue", "JiraIssueLink", "JiraSearchResult"]
