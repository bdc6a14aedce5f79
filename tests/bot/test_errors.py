"""The bot's own errors: what each says, whether trying again may help, and where each sits in the tree."""

from __future__ import annotations

import pytest

from bot.errors import (
    BotError,
    BudgetExceeded,
    ConfigError,
    InputRejected,
    ShuttingDown,
    StartupError,
    StoreBusy,
)
from integrations.errors import ChatOpsError


def test_a_config_error_names_the_variable_and_the_problem() -> None:
    error = ConfigError("DATABASE_URL", "expected a SQLAlchemy URL")

    assert error.variable == "DATABASE_URL"
    assert error.message == str(error) == "DATABASE_URL: expected a SQLAlchemy URL"


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (ConfigError("X", "bad"), False),
        (InputRejected("too long"), False),
        (BudgetExceeded("out of steps"), False),
        (StoreBusy("locked"), True),
        (ShuttingDown("restarting"), True),
        (StartupError("port 3000 is in use", "set PORT"), False),
    ],
)
def test_only_a_busy_store_and_a_shutdown_are_worth_retrying(error: BotError, retryable: bool) -> None:
    assert error.retryable is retryable


def test_every_bot_error_is_caught_with_the_upstream_ones() -> None:
    with pytest.raises(ChatOpsError) as caught:
        raise InputRejected("Ask me a question")

    assert isinstance(caught.value, BotError) and caught.value.message == "Ask me a question"


def test_a_startup_error_says_what_failed_then_how_to_fix_it() -> None:
    error = StartupError("Slack refused SLACK_BOT_TOKEN (invalid_auth)", "copy the token again")

    assert (error.what, error.fix) == ("Slack refused SLACK_BOT_TOKEN (invalid_auth)", "copy the token again")
    assert error.message == "Slack refused SLACK_BOT_TOKEN (invalid_auth): copy the token again"
    assert isinstance(error, BotError)
