"""Attachments: the files attached to a question, read inside its run for the agent.

Each file is judged by what its surface says of it before a byte is fetched (kind, size), then
fetched through a ``FileSource`` (Slack's file host, the console's disk) and made into what the
agent takes: a text file decoded and, if large, reduced to its error lines and tail; an image as
its bytes. Anything else, or a failure, becomes one sentence ("I could not read deploy.log: …"),
which the answer starts with, so the asker learns it even if the model does not say it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import replace

from bot.events import Finished, TextDelta, WorkflowEvent, WritesProposed
from bot.ports import Attachment, FileRef, FileSource, FileUnreadable
from bot.text import reduce_log

# The largest file of each kind fetched at all (checked on the declared size, then on the body).
TEXT_FILE_BYTES = 5_000_000
IMAGE_FILE_BYTES = 5_000_000  # Anthropic's limit per image; OpenAI's is higher
MAX_FILES = 5  # per question; the rest are named as left out

IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
_TEXT_TYPES = frozenset(
    {"application/json", "application/x-yaml", "application/yaml", "application/xml", "application/x-sh"}
)
_TEXT_FILETYPES = frozenset(
    {"text", "log", "json", "yaml", "yml", "csv", "xml", "markdown", "shell", "python"}
)
_TEXT_SUFFIXES = (".log", ".txt", ".out", ".err", ".json", ".yaml", ".yml", ".csv", ".md")


def kind_of(ref: FileRef) -> str:
    """The kind of file (image, text or other), from its declared type: its bytes are not fetched yet."""
    mimetype = ref.mimetype.lower()
    if mimetype in IMAGE_TYPES:
        return "image"
    if (
        mimetype.startswith("text/")
        or mimetype in _TEXT_TYPES
        or ref.filetype.lower() in _TEXT_FILETYPES
        or ref.name.lower().endswith(_TEXT_SUFFIXES)
    ):
        return "text"
    return "other"


async def read_attachments(refs: Sequence[FileRef], source: FileSource | None) -> tuple[Attachment, ...]:
    """Every attached file as the agent gets it, in order; never raises for a file it cannot read."""
    read = [await read_attachment(ref, source) for ref in refs[:MAX_FILES]]
    left_out = [
        _unreadable(ref, f"I read at most {MAX_FILES} files per question") for ref in refs[MAX_FILES:]
    ]
    return (*read, *left_out)


async def read_attachment(ref: FileRef, source: FileSource | None) -> Attachment:
    if ref.stub and source is not None:
        try:
            ref = await source.describe(ref)
        except FileUnreadable as failed:
            return _unreadable(ref, failed.reason)
    kind = kind_of(ref)
    if kind == "other":
        return _unreadable(ref, "I read text files (logs, configs) and images (PNG, JPEG, GIF, WebP) only")
    limit = IMAGE_FILE_BYTES if kind == "image" else TEXT_FILE_BYTES
    if ref.size > limit:
        return _unreadable(ref, f"it is {ref.size:,} bytes; I read files up to {megabytes(limit)}")
    if source is None:
        return _unreadable(ref, "files are not read here")
    try:
        content = await source.fetch(ref, limit=limit)
    except FileUnreadable as failed:
        return _unreadable(ref, failed.reason)
    if kind == "image":
        media_type = ref.mimetype.lower() if ref.mimetype.lower() in IMAGE_TYPES else content.media_type
        return Attachment(ref.name, "image", data=content.data, media_type=media_type, source=source.label)
    text = content.data.decode("utf-8", errors="replace").replace("\x00", "")
    return Attachment(ref.name, "text", text=reduce_log(text), source=source.label)


def unreadable_notice(attachments: Sequence[Attachment]) -> str:
    """The sentences naming the files that could not be read, for the start of the answer."""
    return " ".join(item.text for item in attachments if item.kind == "unreadable")


async def with_notice(events: AsyncIterator[WorkflowEvent], notice: str) -> AsyncIterator[WorkflowEvent]:
    """``events`` with ``notice`` as the answer's first paragraph (streamed and in the final text)."""
    pending = notice
    async for event in events:
        if pending and isinstance(event, TextDelta):
            yield TextDelta(f"{pending}\n\n")
            pending = ""
        if notice and isinstance(event, Finished):
            event = replace(event, text=f"{notice}\n\n{event.text}" if event.text else notice)
        elif notice and isinstance(event, WritesProposed) and event.text:
            event = replace(event, text=f"{notice}\n\n{event.text}")
        yield event


def megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def _unreadable(ref: FileRef, reason: str) -> Attachment:
    return Attachment(ref.name, "unreadable", text=f"I could not read {ref.name}: {reason}.")
