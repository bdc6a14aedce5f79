from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator

import pytest

from bot.log import CONTEXT_FIELDS, configure_logging, log_context, redact


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


def _json_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    return [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]


def test_records_carry_the_log_context_they_were_logged_in(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", "json")
    log = logging.getLogger("bot.test")
    with log_context(kind="event", team="T1"):
        with log_context(run_id="r1", channel="C1", thread_ts="1.2", kind="ask"):
            log.info("inside")
        log.info("outside")
    log.info("none")
    inside, outside, none = _json_lines(capsys)
    assert {key: inside[key] for key in CONTEXT_FIELDS} == {
        "run_id": "r1",
        "team": "T1",
        "channel": "C1",
        "thread_ts": "1.2",
        "kind": "ask",
    }
    assert outside["kind"] == "event" and "run_id" not in outside
    assert not set(CONTEXT_FIELDS) & set(none)


async def test_tasks_started_in_a_context_keep_it(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", "json")
    log = logging.getLogger("bot.test")

    async def later() -> None:
        await asyncio.sleep(0)
        log.info("from the task")

    with log_context(run_id="r2"):
        task = asyncio.create_task(later())
    await task
    (line,) = _json_lines(capsys)
    assert line["run_id"] == "r2"


def test_console_format_appends_the_context_and_still_redacts(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", "console")
    with log_context(run_id="r3", channel="C9"):
        logging.getLogger("bot.test").info("token xoxb-1-2-SECRET")
    err = capsys.readouterr().err
    assert "[run_id=r3 channel=C9]" in err and "xoxb-1-2-SECRET" not in err


def test_unknown_context_fields_are_refused() -> None:
    with pytest.raises(ValueError), log_context(user="U1"):
        pass
