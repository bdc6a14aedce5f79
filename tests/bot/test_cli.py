from __future__ import annotations

import subprocess
import sys

import pytest

from bot.cli import main


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
