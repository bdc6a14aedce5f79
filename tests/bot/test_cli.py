from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import COMMANDS, READS, TOPICS, failure_line, log_level, main, variables
from bot.config import Mode, Settings
from bot.errors import ConfigError, StartupError


def test_a_configuration_error_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-do-not-print-me")
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "SLACK_SIGNING_SECRET" in err
    assert "do-not-print-me" not in err
    assert "Traceback" not in err


def test_an_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["launch"])
    assert exited.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_python_dash_m_bot_is_the_same_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0
    for command in ("serve", "socket", "console", "demo", "doctor"):
        assert command in result.stdout


# --- help: commands, options and the settings each command reads -------------------------------


def help_of(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """What ``chatops ARGV`` prints as help (``--help`` exits 0 through argparse)."""
    try:
        assert main(list(argv)) == 0
    except SystemExit as exited:
        assert exited.code == 0
    return capsys.readouterr().out


def test_help_is_a_command_printing_the_same_as_dash_dash_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert help_of(capsys, "help") == help_of(capsys, "--help")
    assert help_of(capsys, "help", "socket") == help_of(capsys, "socket", "--help")


def test_the_help_lists_every_command_and_every_setting(capsys: pytest.CaptureFixture[str]) -> None:
    text = help_of(capsys, "help")

    for command in COMMANDS:
        assert f"\n    {command} " in text
    for name in Settings.model_fields:
        assert name.upper() in text
    assert "serve requires              SLACK_BOT_TOKEN SLACK_SIGNING_SECRET LLM_API_KEY" in text
    assert "socket requires             SLACK_BOT_TOKEN SLACK_APP_TOKEN LLM_API_KEY" in text


def test_a_commands_help_says_which_settings_it_requires_and_which_it_may_use(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = help_of(capsys, "serve", "--help")
    required, optional = text.split(" required:\n")[1].split(" optional:\n")

    assert [line.split()[0] for line in required.splitlines() if not line.startswith("   ")] == [
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "LLM_API_KEY",
    ]
    assert "  DATABASE_URL                SQLAlchemy URL" in optional
    assert "[default: sqlite:///./chatops.db]" in optional
    assert "SLACK_APP_TOKEN" not in text  # socket's, not serve's


def test_a_report_lists_its_options_and_only_the_settings_it_reads(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = help_of(capsys, "help", "runs")

    assert "--last N" in text and "cancel" in text
    assert "DATABASE_URL" in text and "LLM_PRICES" in text
    assert "SLACK_BOT_TOKEN" not in text and "required:" not in text


@pytest.mark.parametrize("mode", ["serve", "socket", "console", "doctor", "migrate", "runs"])
def test_the_required_settings_the_help_shows_are_those_start_up_insists_on(mode: Mode) -> None:
    # LLM_API_KEY is insisted on where the agent is built (tests/test_cli_failures.py runs that).
    required = {
        v.name: VALID[v.name] for v in variables() if mode in v.required_for and v.name != "LLM_API_KEY"
    }

    Settings.load(mode, **{name.lower(): value for name, value in required.items()})
    for missing in required:
        others = {name.lower(): value for name, value in required.items() if name != missing}
        with pytest.raises(ConfigError) as refused:
            Settings.load(mode, **others)
        assert refused.value.variable == missing


VALID = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "secret", "SLACK_APP_TOKEN": "xapp-1"}


def test_every_setting_says_what_it_is_for() -> None:
    assert all(v.about.strip() and set(v.topics) <= set(TOPICS) for v in variables())
    assert {topic for topics in READS.values() for topic in topics} <= set(TOPICS)


# --- failures as one line -----------------------------------------------------------------------


def test_an_unexpected_exception_is_one_line_pointing_at_log_level_debug() -> None:
    line = failure_line(RuntimeError("database said no\n  and a second line"), "serve")

    assert line == (
        "unexpected RuntimeError: database said no (LOG_LEVEL=DEBUG shows the traceback; please report it)"
    )


def test_a_startup_error_is_its_what_and_its_fix() -> None:
    line = failure_line(StartupError("port 3000 is taken", "set PORT to a free port"), "serve")

    assert line == "port 3000 is taken: set PORT to a free port"


# --- log level: the console's terminal is its chat ----------------------------------------------


def test_the_console_logs_warnings_unless_log_level_is_set_while_the_servers_log_info() -> None:
    defaults = Settings()

    assert log_level(defaults, "console") == "WARNING"  # alembic's and httpx's INFO lines stay out
    assert (log_level(defaults, "serve"), log_level(defaults, "socket")) == ("INFO", "INFO")
    # A report's table is the output too: DBOS's INFO lines about its system database stay out.
    assert {log_level(defaults, report) for report in ("runs", "run", "usage")} == {"WARNING"}


def test_a_log_level_set_in_the_environment_or_dot_env_holds_for_the_console(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text("LOG_LEVEL=info\n")  # the working directory's .env (see conftest)
    assert log_level(Settings(), "console") == "INFO"

    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    assert log_level(Settings(), "console") == "DEBUG"
