"""Attachments: each file judged by its declared kind and size before a byte is read, then made into
what the agent takes; whatever cannot be read becomes one sentence at the top of the answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from bot.console.files import LocalFiles, local_file
from bot.events import Finished, StatusChanged, TextDelta, WorkflowEvent
from bot.ports import FileRef
from bot.workflows.attachments import (
    MAX_FILES,
    TEXT_FILE_BYTES,
    kind_of,
    read_attachment,
    read_attachments,
    unreadable_notice,
    with_notice,
)


def test_the_kind_comes_from_the_declared_type_or_name() -> None:
    assert kind_of(FileRef("F", "shot.png", "image/png")) == "image"
    assert kind_of(FileRef("F", "deploy.log", "text/plain")) == "text"
    assert kind_of(FileRef("F", "build.log")) == "text"
    assert kind_of(FileRef("F", "values", "", "yaml")) == "text"
    assert kind_of(FileRef("F", "shot.svg", "image/svg+xml")) == "other"
    assert kind_of(FileRef("F", "a.zip", "application/zip")) == "other"


async def test_a_large_log_is_read_and_reduced(tmp_path: Path) -> None:
    path = tmp_path / "deploy.log"
    path.write_text("\n".join([f"INFO line {n}" for n in range(5000)] + ["FATAL it broke"]), encoding="utf-8")

    attachment = await read_attachment(local_file(str(path)), LocalFiles())

    assert attachment.kind == "text" and attachment.source == "local-file"
    assert attachment.text.startswith("[Log reduced from 5,001 lines") and "FATAL it broke" in attachment.text


async def test_what_cannot_be_read_is_one_sentence_and_never_fetched(tmp_path: Path) -> None:
    missing = FileRef("F1", "gone.log", "text/plain", size=10, url=str(tmp_path / "gone.log"))
    huge = FileRef("F2", "huge.log", "text/plain", size=TEXT_FILE_BYTES + 1, url="/dev/zero")
    archive = FileRef("F3", "a.zip", "application/zip", size=10, url="/dev/zero")

    read = await read_attachments((missing, huge, archive), LocalFiles())
    unwired = await read_attachment(FileRef("F4", "a.log", "text/plain"), None)

    assert [item.kind for item in read] == ["unreadable"] * 3
    assert read[0].text.startswith("I could not read gone.log: it could not be opened")
    assert read[1].text == "I could not read huge.log: it is 5,000,001 bytes; I read files up to 5.0 MB."
    assert read[2].text.startswith("I could not read a.zip: I read text files")
    assert unwired.text == "I could not read a.log: files are not read here."


async def test_at_most_a_few_files_are_read(tmp_path: Path) -> None:
    path = tmp_path / "a.log"
    path.write_text("ok", encoding="utf-8")
    refs = [local_file(str(path))] * (MAX_FILES + 1)

    read = await read_attachments(refs, LocalFiles())

    assert [item.kind for item in read] == ["text"] * MAX_FILES + ["unreadable"]
    assert (
        unreadable_notice(read) == f"I could not read a.log: I read at most {MAX_FILES} files per question."
    )


async def _answer(*events: WorkflowEvent) -> AsyncIterator[WorkflowEvent]:
    for event in events:
        yield event


async def test_the_notice_starts_the_streamed_and_the_final_answer() -> None:
    events = _answer(
        StatusChanged("thinking"), TextDelta("It "), TextDelta("failed."), Finished("It failed.")
    )

    shown = [event async for event in with_notice(events, "I could not read a.log: gone.")]

    assert shown[:3] == [
        StatusChanged("thinking"),
        TextDelta("I could not read a.log: gone.\n\n"),
        TextDelta("It "),
    ]
    assert shown[-1] == Finished("I could not read a.log: gone.\n\nIt failed.")
    assert [event async for event in with_notice(_answer(Finished("ok")), "")] == [Finished("ok")]
