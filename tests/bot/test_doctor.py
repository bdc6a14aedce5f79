from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings
from bot.doctor import run_doctor
from simulators.github import GitHubSimulator
from simulators.jira import JiraSimulator
from simulators.llm import LLMSimulator
from simulators.slack import SlackSimulator


async def test_every_configured_upstream_is_reached(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with (
        SlackSimulator(token="xoxb-doc") as slack,
        JiraSimulator() as jira,
        GitHubSimulator() as github,
        LLMSimulator() as llm,
    ):
        settings = Settings.load(
            "doctor",
            slack_bot_token="xoxb-doc",
            slack_api_url=slack.api_url,
            database_url=f"sqlite:///{tmp_path / 'doctor.db'}",
            jira_base_url=jira.url,
            jira_email="me@acme.test",
            jira_api_token="jira-doctor-token",
            github_api_url=github.url,
            github_token="ghp_doctortoken",
            llm_base_url=llm.base_url,
            llm_api_key="sk-doctor-key",
        )
        assert await run_doctor(settings) == 0
    out = capsys.readouterr().out
    assert out.count("✓") == 5, out
    assert "doctor-token" not in out and "doctortoken" not in out and "sk-doctor" not in out


async def test_what_is_missing_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings.load("doctor", database_url=f"sqlite:///{tmp_path / 'missing' / 'x.db'}")
    assert await run_doctor(settings) == 1
    out = capsys.readouterr().out
    assert "✗ database" in out and "DATABASE_URL" in out
    assert (
        "SLACK_BOT_TOKEN" in out and "JIRA_BASE_URL" in out and "GITHUB_TOKEN" in out and "LLM_API_KEY" in out
    )
