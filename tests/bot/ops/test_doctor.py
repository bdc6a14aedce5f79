from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.config import Settings
from bot.ops.doctor import MANIFEST, manifest_scopes, run_doctor
from simulators.github import GitHubSimulator
from simulators.jira import JiraSimulator
from simulators.llm import LLMSimulator
from simulators.slack import GRANTED_SCOPES, SlackSimulator


@dataclass
class Fakes:
    slack: SlackSimulator
    jira: JiraSimulator
    github: GitHubSimulator
    llm: LLMSimulator


@pytest.fixture
async def fakes() -> AsyncIterator[Fakes]:
    async with (
        SlackSimulator(token="xoxb-doc") as slack,
        JiraSimulator() as jira,
        GitHubSimulator() as github,
        LLMSimulator() as llm,
    ):
        yield Fakes(slack, jira, github, llm)


def _settings(fakes: Fakes, database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "slack_bot_token": "xoxb-doc",
        "slack_signing_secret": "doctor-signing-secret",
        "slack_api_url": fakes.slack.api_url,
        "database_url": database_url,
        "jira_base_url": fakes.jira.url,
        "jira_email": "me@acme.test",
        "jira_api_token": "jira-doctor-token",
        "github_api_url": fakes.github.url,
        "github_token": "ghp_doctortoken",
        "llm_base_url": fakes.llm.base_url,
        "llm_api_key": "sk-doctor-key",
    }
    values.update(overrides)
    return Settings.load("doctor", **values)


async def test_every_setting_and_upstream_is_checked(
    fakes: Fakes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = _settings(fakes, f"sqlite:///{tmp_path / 'doctor.db'}")
    assert await run_doctor(settings) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert [line.split()[1] for line in lines] == ["settings", "database", "slack", "jira", "github", "llm"]
    assert all(line.startswith("✓") for line in lines), out
    assert "ready for serve" in out
    assert "write ok" in out
    assert f"all {len(GRANTED_SCOPES)} scopes of manifest.yml granted" in out
    assert "rate limit" in out and "/5000 left" in out
    assert "one-token request" in out
    assert "doctor-token" not in out and "doctortoken" not in out and "sk-doctor" not in out
    assert "doctor-signing-secret" not in out
    (request,) = fakes.llm.requests
    assert request.body["max_tokens"] == 1
    assert [c.method for c in fakes.slack.calls()] == ["auth.test"]


async def test_a_scope_the_manifest_asks_for_but_slack_did_not_grant_fails(
    fakes: Fakes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fakes.slack.scopes.remove("links:write")
    assert await run_doctor(_settings(fakes, f"sqlite:///{tmp_path / 'doctor.db'}")) == 1
    (slack_line,) = [line for line in capsys.readouterr().out.splitlines() if " slack " in line]
    assert slack_line.startswith("✗")
    assert "missing scopes links:write" in slack_line and "reinstall the app" in slack_line


async def test_a_wrong_llm_key_fails_with_its_fix(
    fakes: Fakes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fakes.llm.fail_next(401)
    assert await run_doctor(_settings(fakes, f"sqlite:///{tmp_path / 'doctor.db'}")) == 1
    (llm_line,) = [line for line in capsys.readouterr().out.splitlines() if " llm " in line]
    assert llm_line.startswith("✗") and "fix: check LLM_API_KEY" in llm_line


async def test_jira_and_github_left_off_are_not_failures(
    fakes: Fakes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = _settings(fakes, f"sqlite:///{tmp_path / 'doctor.db'}", jira_base_url=None, github_token=None)
    assert await run_doctor(settings) == 0
    out = capsys.readouterr().out
    assert "– jira      not configured" in out and "– github    not configured" in out


async def test_the_database_check_writes_on_postgresql(
    fakes: Fakes, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run_doctor(_settings(fakes, postgres_url)) == 0
    assert "✓ database  postgresql, schema" in capsys.readouterr().out


async def test_what_is_missing_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings.load("doctor", database_url=f"sqlite:///{tmp_path / 'missing' / 'x.db'}")
    assert await run_doctor(settings) == 1
    out = capsys.readouterr().out
    assert "✗ database" in out and "DATABASE_URL" in out
    assert "✗ settings" in out and "SLACK_SIGNING_SECRET" not in out.split("✗ settings")[0]
    assert (
        "SLACK_BOT_TOKEN" in out and "JIRA_BASE_URL" in out and "GITHUB_TOKEN" in out and "LLM_API_KEY" in out
    )
    assert all(" — fix: " in line for line in out.splitlines() if line.startswith("✗"))


def test_the_simulated_install_grants_exactly_the_manifest_scopes() -> None:
    assert manifest_scopes(MANIFEST) == list(GRANTED_SCOPES)


def test_no_manifest_means_no_scope_check(tmp_path: Path) -> None:
    assert manifest_scopes(tmp_path / "manifest.yml") is None
