"""Clients for the outside world (Jira, GitHub). Nothing in here knows about Slack."""
