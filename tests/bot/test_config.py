from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings
from bot.errors import ConfigError

SECRET = "xoxb-super-secret-value"


def test_defaults_match_the_contract() -> None:
    settings = Settings.load("console")
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.database_url == "sqlite:///./chatops.db"
    assert settings.github_api_url == "https://api.github.com"
    assert settings.llm_provider == "openai"
    assert settings.port == 3000
    assert settings.log_level == "INFO" and settings.log_format == "console"
    assert not settings.jira_enabled and not settings.github_enabled


def test_variables_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", SECRET)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "signing")
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9999/api")
    monkeypatch.setenv("JIRA_BASE_URL", "https://acme.atlassian.net/")
    monkeypatch.setenv("JIRA_EMAIL", "bot@acme.test")
    monkeypatch.setenv("JIRA_API_TOKEN", "jira-token")
    monkeypatch.setenv("LLM_PROVIDER", "anthropic")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    settings = Settings.load("serve")
    assert settings.slack_api_url == "http://127.0.0.1:9999/api/"
    assert settings.jira_base_url == "https://acme.atlassian.net"
    assert settings.jira_enabled
    assert settings.llm_url == "https://api.anthropic.com"
    assert settings.log_level == "DEBUG"


def test_dotenv_file_is_read(tmp_path: object) -> None:
    with open(".env", "w") as env:
        env.write("GITHUB_TOKEN=ghp_fromdotenv\nPORT=4000\n")
    settings = Settings.load("console")
    assert settings.port == 4000 and settings.github_enabled


@pytest.mark.parametrize(
    ("mode", "env", "variable"),
    [
        ("serve", {}, "SLACK_BOT_TOKEN"),
        ("serve", {"SLACK_BOT_TOKEN": SECRET}, "SLACK_SIGNING_SECRET"),
        ("serve", {"SLACK_BOT_TOKEN": "not-a-bot-token", "SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN"),
        ("socket", {"SLACK_BOT_TOKEN": SECRET}, "SLACK_APP_TOKEN"),
        ("console", {"PORT": "http"}, "PORT"),
        ("console", {"PORT": "70000"}, "PORT"),
        ("console", {"LLM_PROVIDER": "gemini"}, "LLM_PROVIDER"),
        ("console", {"LOG_FORMAT": "xml"}, "LOG_FORMAT"),
        ("console", {"JIRA_BASE_URL": "acme.atlassian.net"}, "JIRA_BASE_URL"),
        ("console", {"JIRA_BASE_URL": "https://acme.atlassian.net"}, "JIRA_API_TOKEN"),
    ],
)
def test_a_bad_or_missing_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, mode: str, env: dict[str, str], variable: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        Settings.load(mode)  # type: ignore[arg-type]
    assert caught.value.variable == variable
    assert str(caught.value).startswith(variable)
    assert SECRET not in str(caught.value)


def test_secrets_never_show_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", SECRET)
    monkeypatch.setenv("LLM_API_KEY", "sk-live-secret")
    settings = Settings.load("console")
    assert SECRET not in repr(settings) and "sk-live-secret" not in repr(settings)
    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == SECRET


def test_allowlists_are_parsed_and_normalised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIRA_PROJECTS", "ops, pay ,")
    monkeypatch.setenv("GITHUB_REPOS", "Acme/Payments, acme/*")
    settings = Settings.load("console")
    assert settings.jira_projects == ["OPS", "PAY"]
    assert settings.github_repos == ["acme/payments", "acme/*"]


def test_write_permissions_and_approval_ttl(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings.load("console").approval_ttl_minutes == 15
    assert Settings.load("console").write_users == []
    monkeypatch.setenv("WRITE_USERS", "U012AB3CD, U045EF6GH")
    monkeypatch.setenv("WRITE_CHANNELS", "C0123OPS")
    monkeypatch.setenv("APPROVAL_TTL_MINUTES", "5")
    settings = Settings.load("console")
    assert settings.write_users == ["U012AB3CD", "U045EF6GH"]
    assert settings.write_channels == ["C0123OPS"]
    assert settings.approval_ttl_minutes == 5


@pytest.mark.parametrize(
    ("variable", "value"),
    [("WRITE_USERS", "U012, @alice"), ("WRITE_CHANNELS", "#general"), ("APPROVAL_TTL_MINUTES", "0")],
)
def test_bad_write_settings_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        Settings.load("console")
    assert caught.value.variable == variable


@pytest.mark.parametrize(
    ("variable", "value"),
    [("JIRA_PROJECTS", "OPS, not a key"), ("GITHUB_REPOS", "acme"), ("GITHUB_REPOS", "acme/pay ments")],
)
def test_bad_allowlists_name_the_variable(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        Settings.load("console")
    assert caught.value.variable == variable


def test_a_github_app_needs_all_three_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_APP_ID", "12345")
    monkeypatch.setenv("GITHUB_APP_INSTALLATION_ID", "678")
    with pytest.raises(ConfigError) as caught:
        Settings.load("console")
    assert caught.value.variable == "GITHUB_APP_PRIVATE_KEY"
    monkeypatch.setenv(
        "GITHUB_APP_PRIVATE_KEY", "-----BEGIN PRIVATE KEY-----\nPEMCANARY\n-----END PRIVATE KEY-----"
    )
    settings = Settings.load("console")
    assert settings.github_enabled and settings.github_app_enabled
    assert "PEMCANARY" not in repr(settings)


def test_mcp_config_is_a_path_and_empty_means_none(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Its servers are read and checked where the app is wired (bot.services): the agent's side.
    monkeypatch.setenv("MCP_CONFIG", str(tmp_path / "mcp.json"))
    assert Settings.load("console").mcp_config == tmp_path / "mcp.json"
    monkeypatch.setenv("MCP_CONFIG", "")
    assert Settings.load("console").mcp_config is None
