"""Errors raised inside the bot; they extend the tree in ``integrations/errors.py``.

ChatOpsError
└── BotError
    ├── ConfigError           a setting is missing or invalid (names the variable, never the value)
    ├── InputRejected         a user's request cannot be taken (too long, empty, ...)
    ├── BudgetExceeded        a run hit its step or time budget
    ├── StoreBusy             the database stayed locked past the busy timeout   (retryable)
    └── ShuttingDown          intake is closed because the process is stopping    (retryable)
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
