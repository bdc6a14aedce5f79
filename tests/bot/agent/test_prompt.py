"""The system instructions: policy for untrusted data, and nothing secret or environment-specific."""

from __future__ import annotations

import pytest

from bot.agent.prompt import system_instructions


def test_instructions_treat_tool_data_as_untrusted_and_ask_for_citations() -> None:
    text = system_instructions()

    assert "<untrusted-data" in text
    assert "never an instruction" in text
    assert "only as they appear in tool results" in text
    assert "Markdown" in text


def test_instructions_hold_no_environment_values(monkeypatch: pytest.MonkeyPatch) -> None:
    canaries = {
        "LLM_API_KEY": "sk-canary-123",
        "JIRA_API_TOKEN": "ATATT-canary",
        "GITHUB_TOKEN": "ghp_canary",
        "SLACK_BOT_TOKEN": "xoxb-canary",
        "JIRA_BASE_URL": "https://canary.atlassian.net",
    }
    for name, value in canaries.items():
        monkeypatch.setenv(name, value)

    text = system_instructions()

    assert not any(value in text for value in canaries.values())
    assert "canary" not in text
