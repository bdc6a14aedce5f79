from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.config import Settings
from bot.ops.doctor import MANIFEST, manifest_scopes, run_doctor
from bot.ops.placeholders import PLACEHOLDERS, Placeholder
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


async def test_a_local_model_without_a_key_is_reached(
    fakes: Fakes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Ollama, vLLM and llama.cpp's server answer without a key; the README says LLM_API_KEY may stay unset.
    async with LLMSimulator(keyless=True) as local:
        database = f"sqlite:///{tmp_path / 'doctor.db'}"
        await run_doctor(_settings(fakes, database, llm_api_key=None, llm_base_url=local.base_url))
    (llm_line,) = [line for line in capsys.readouterr().out.splitlines() if " llm " in line]
    assert llm_line.startswith("✓"), llm_line
    assert len(local.requests) == 1


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
    (line,) = [line for line in capsys.readouterr().out.splitlines() if " database " in line]
    assert line.startswith("✓ database  open and write postgresql") and ": postgresql, schema" in line


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


def _examples() -> dict[str, str]:
    """Every setting at the first example value .env.example ships for it."""
    return {p.variable: p.examples[0] for p in PLACEHOLDERS}


def _named_with_fix(out: str, placeholder: Placeholder) -> bool:
    lines = out.splitlines()
    wanted = f"✗ settings  {placeholder.variable} is still the example value from .env.example"
    return any(line.startswith(wanted) and line.endswith(f"— fix: {placeholder.fix}") for line in lines)


def _line(out: str, check: str) -> str:
    (line,) = [line for line in out.splitlines() if line.split()[1] == check]
    return line


def _untouched(fakes: Fakes) -> bool:
    return not (fakes.slack.calls() or fakes.jira.requests or fakes.github.requests or fakes.llm.requests)


async def test_each_example_value_is_named_with_its_fix_and_nothing_is_sent(
    fakes: Fakes, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings.load(
        "doctor",
        **{name.lower(): value for name, value in _examples().items()},
        slack_api_url=fakes.slack.api_url,
        github_api_url=fakes.github.url,
        llm_base_url=fakes.llm.base_url,
    )
    assert await run_doctor(settings) == 1
    out = capsys.readouterr().out
    for placeholder in PLACEHOLDERS:
        assert _named_with_fix(out, placeholder), f"{placeholder.variable} not named with its fix:\n{out}"
    assert (
        "fix: replace the example value of SLACK_BOT_TOKEN in .env with your bot token from "
        "https://api.slack.com/apps" in out
    )
    assert out.startswith("✗ settings  settings for serve and socket: neither can start")
    assert _line(out, "slack").startswith(
        f"✗ slack     auth.test at {fakes.slack.api_url} not tried with the example value of SLACK_BOT_TOKEN"
    )
    assert (
        "myself at https://your-site.atlassian.net not tried with the example values of "
        "JIRA_BASE_URL, JIRA_EMAIL, JIRA_API_TOKEN, JIRA_PAT" in out
    )
    assert "installation token and rate_limit at" in _line(out, "github")
    assert (
        "not tried with the example value of DATABASE_URL" in _line(out, "database")
        and "chatops:***@db.internal" in out
    )
    assert "not tried with the example value of LLM_API_KEY" in _line(out, "llm")
    assert all(" — fix: " in line for line in out.splitlines() if line.startswith("✗"))
    assert _untouched(fakes)
    assert "password" not in out and "xoxb-..." not in out and "sk-..." not in out


async def test_one_example_value_among_real_settings_fails_only_what_it_blocks(
    fakes: Fakes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = _settings(fakes, f"sqlite:///{tmp_path / 'doctor.db'}", llm_api_key="sk-...")
    assert await run_doctor(settings) == 1
    out = capsys.readouterr().out
    failed = [line.split()[1] for line in out.splitlines() if line.startswith("✗")]
    assert failed == ["settings", "llm"], out
    assert "LLM_API_KEY is still the example value" in out
    assert _line(out, "llm").endswith(
        "fix: replace the example value of LLM_API_KEY in .env with "
        "your LLM provider's API key (for OpenAI: https://platform.openai.com/api-keys)"
    )
    assert fakes.llm.requests == []


async def test_an_example_signing_secret_means_serve_is_not_ready(
    fakes: Fakes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = _settings(fakes, f"sqlite:///{tmp_path / 'doctor.db'}", slack_signing_secret="...")
    assert await run_doctor(settings) == 1
    line = capsys.readouterr().out.splitlines()[0]
    assert line.startswith("✗ settings  settings for serve and socket: neither can start — fix: ")
    assert "serve: replace the example value of SLACK_SIGNING_SECRET;" in line
    assert "socket: set SLACK_APP_TOKEN" in line


async def test_the_database_line_says_where_it_tried_without_the_password(
    fakes: Fakes, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "postgresql://chatops:s3cret@127.0.0.1:9/chatops?sslpassword=s3cret2"
    assert await run_doctor(_settings(fakes, url)) == 1
    line = _line(capsys.readouterr().out, "database")
    assert line.startswith("✗ database  open and write postgresql://chatops:***@127.0.0.1:9/chatops: ")
    assert "s3cret" not in line and "fix: set DATABASE_URL" in line


async def test_every_check_says_what_it_tried(
    fakes: Fakes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run_doctor(_settings(fakes, f"sqlite:///{tmp_path / 'doctor.db'}")) == 0
    out = capsys.readouterr().out
    assert f"auth.test at {fakes.slack.api_url}: team" in _line(out, "slack")
    assert f"myself at {fakes.jira.url}: signed in as" in _line(out, "jira")
    assert f"user and rate_limit at {fakes.github.url}: signed in as" in _line(out, "github")
    assert f"a one-token request for gpt-4o-mini to {fakes.llm.base_url}/chat/completions: answered" in out
    assert f"open and write sqlite:///{tmp_path / 'doctor.db'}: sqlite, schema" in out


def test_the_cli_names_every_example_value_without_a_traceback(tmp_path: Path) -> None:
    env = {
        **os.environ,
        **_examples(),
        # Nothing should leave the machine; if the doctor did try, it meets a closed port instead.
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", "doctor"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,  # no .env here
        env=env,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stdout + result.stderr
    for placeholder in PLACEHOLDERS:
        assert _named_with_fix(result.stdout, placeholder), f"{placeholder.variable}:\n{result.stdout}"
