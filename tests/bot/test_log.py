from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from bot.log import configure_logging, redact


@pytest.fixture(autouse=True)
def restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


CANARIES = [
    "xoxb-1234-5678-CANARY",
    "xapp-1-A0-CANARY",
    "ghs_CANARYcanary0123456789",
    "github_pat_11CANARY_abc",
    "ATATT3xFfGF0CANARY",
    "sk-proj-CANARYCANARY",
]


@pytest.mark.parametrize("secret", CANARIES)
def test_token_shapes_are_redacted(secret: str) -> None:
    assert secret not in redact(f"calling with {secret} now")


def test_authorization_values_are_redacted() -> None:
    assert "dXNlcjpwYXNz" not in redact("Authorization: Basic dXNlcjpwYXNz")
    assert "abc.def" not in redact("authorization: Bearer abc.def")


def test_json_logs_are_one_object_per_line_without_secrets(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", "json")
    log = logging.getLogger("chatops.test")
    try:
        raise RuntimeError(f"upstream refused {CANARIES[0]}")
    except RuntimeError:
        log.exception("call failed with token %s", CANARIES[2])
    line = capsys.readouterr().err.strip()
    entry = json.loads(line)
    assert entry["level"] == "error" and entry["logger"] == "chatops.test"
    assert all(canary not in line for canary in CANARIES)


def test_text_logs_redact_tracebacks_too(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", "console")
    try:
        raise RuntimeError(f"boom {CANARIES[1]}")
    except RuntimeError:
        logging.getLogger("x").exception("failed")
    assert CANARIES[1] not in capsys.readouterr().err
