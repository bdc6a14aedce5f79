"""GitHub REST client (github.com or GitHub Enterprise)."""

from integrations.github.client import GitHubClient
from integrations.github.models import CheckRun, GitHubIssue, PullRequest, SearchHit, SearchResult

__all__ = ["CheckRun", "GitHubClient", "GitHubIssue", "PullRequest", "SearchHit", "SearchResult"]
