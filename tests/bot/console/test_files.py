"""`/attach PATH` in the console: a local file goes with the next question, read in its run like a
Slack file (reduced, fenced as data, images as bytes), and a path that is no file is one line."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.console.app import ConsoleSession
from bot.console.files import USAGE, LocalFiles, local_file
from bot.errors import InputRejected
from bot.ports import FileUnreadable
from bot.services import Services
from simulators.llm import LLMSimulator

ERROR = "08:00:12 ERROR migrate: relation payments_v2 already exists"


def user_prompt(llm: LLMSimulator) -> str:
    messages = llm.chat_requests()[-1]["messages"]
    return json.dumps([message["content"] for message in messages if message["role"] == "user"][-1])


async def test_an_attached_log_goes_with_the_next_question_only(
    services: Services, llm: LLMSimulator, tmp_path: Path
) -> None:
    log = tmp_path / "deploy.log"
    log.write_text("\n".join(["08:00:00 INFO all good"] * 5 + [ERROR]), encoding="utf-8")
    out = io.StringIO()
    session = ConsoleSession(services, out)

    await session.handle(f"/attach {log}")
    await session.handle("why did this deploy fail?")

    assert '<untrusted-data source=\\"local-file\\" tool=\\"deploy.log\\">' in user_prompt(llm)
    assert ERROR in user_prompt(llm)
    assert f"The first error in deploy.log is:\n> {ERROR}" in out.getvalue()
    await session.handle("and who is on OPS-2?")
    assert "deploy.log" not in user_prompt(llm)  # attached to one question, not the thread


async def test_a_missing_or_too_large_file_is_one_line(
    services: Services, llm: LLMSimulator, tmp_path: Path
) -> None:
    big = tmp_path / "huge.log"
    big.write_bytes(b"x" * 5_000_001)
    out = io.StringIO()
    session = ConsoleSession(services, out)

    await session.handle(f"/attach {tmp_path / 'nope.log'}")
    await session.handle("/attach")
    assert llm.chat_requests() == []
    await session.handle(f"/attach {big}")
    await session.handle("what is in it?")

    printed = out.getvalue()
    assert f"There is no file at {tmp_path / 'nope.log'}." in printed and USAGE in printed
    assert "I could not read huge.log: it is 5,000,001 bytes; I read files up to 5.0 MB." in printed
    assert "Traceback" not in printed


async def test_a_screenshot_reaches_the_model_as_bytes(
    services: Services, llm: LLMSimulator, tmp_path: Path
) -> None:
    shot = tmp_path / "screen.png"
    shot.write_bytes(b"\x89PNG\r\n\x1a\nfake")
    session = ConsoleSession(services, io.StringIO())

    await session.handle(f"/attach {shot}")
    await session.handle("what is on this screen?")

    assert [(image.media_type, image.data) for image in llm.received_images] == [
        ("image/png", b"\x89PNG\r\n\x1a\nfake")
    ]


async def test_local_files_are_read_up_to_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "a.log"
    path.write_bytes(b"0123456789")
    ref = local_file(str(path))
    assert (await LocalFiles().fetch(ref, limit=10)).data == b"0123456789"
    with pytest.raises(FileUnreadable, match="over the 9 bytes"):
        await LocalFiles().fetch(ref, limit=9)
    with pytest.raises(InputRejected, match="is not a file"):
        local_file(str(tmp_path))
