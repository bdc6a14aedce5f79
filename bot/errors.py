"""Errors raised inside the bot; they extend the tree in ``integrations/errors.py``.

ChatOpsError
└── BotError
    ├── ConfigError           a setting is missing or invalid (names the variable, never the value)
    ├── InputRejected         a user's request cannot be taken (too long, empty, ...)
    ├── BudgetExceeded        a run hit its step or time budget
    ├── StoreBusy             the database stayed locked past the busy timeout   (retryable)
    ├── ShuttingDown          intake is closed because the process is stopping    (retryable)
    └── StartupError          start-up cannot go on: ``what`` failed, ``fix`` says what to do

The CLI prints any of them as one line, ``chatops: <message>``; low-level exceptions (a port in
use, a refused token, an unreachable upstream) are translated into them where services start.
"""

from __future__ import annotations

from integrations.errors import ChatOpsError


class BotError(ChatOpsError):
    """A failure inside the bot rather than upstream."""


class ConfigError(BotError):
    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


class InputRejected(BotError):
    pass


class BudgetExceeded(BotError):
    pass


class StoreBusy(BotError):
    retryable = True


class ShuttingDown(BotError):
    retryable = True


class StartupError(BotError):
    """Start-up cannot go on though every setting is well-formed: an upstream refused or was not
    reached, or the port is taken. Both parts are meant for the operator, on one line."""

    def __init__(self, what: str, fix: str) -> None:
        super().__init__(f"{what}: {fix}")
        self.what = what
        self.fix = fix
