"""Local files for the console: ``/attach PATH`` attaches a file on this machine to the next question.

The file is only described when attached (its name, type and size); its bytes are read inside the
run, like a Slack file's, and go through the same checks, reduction and image handling there.
"""

from __future__ import annotations

import asyncio
import mimetypes
from pathlib import Path

from bot.errors import InputRejected
from bot.ports import FileContent, FileRef, FileUnreadable

USAGE = "Usage: /attach PATH (a log, a config or a screenshot for your next question)"


def local_file(path: str) -> FileRef:
    """The file at ``path`` as a question's attachment; InputRejected with one line if there is none."""
    if not path.strip():
        raise InputRejected(USAGE)
    where = Path(path.strip()).expanduser()
    try:
        size = where.stat().st_size
    except OSError:
        raise InputRejected(f"There is no file at {where}.") from None
    if not where.is_file():
        raise InputRejected(f"{where} is not a file.")
    mimetype = mimetypes.guess_type(where.name)[0] or ""
    return FileRef(str(where), where.name, mimetype, where.suffix.lstrip("."), size, str(where.resolve()))


class LocalFiles:
    """Reads attached files from this machine's disk (a ``FileSource``)."""

    label = "local-file"

    async def describe(self, ref: FileRef) -> FileRef:
        return ref

    async def fetch(self, ref: FileRef, *, limit: int) -> FileContent:
        # Off the event loop: a file on a slow disk must not hold up the answers streaming meanwhile.
        data = await asyncio.to_thread(_read, Path(ref.url), limit)
        return FileContent(ref.name, ref.mimetype or "application/octet-stream", data)


def _read(path: Path, limit: int) -> bytes:
    try:
        with path.open("rb") as file:
            data = file.read(limit + 1)
    except OSError as exc:
        raise FileUnreadable(f"it could not be opened ({exc.strerror or type(exc).__name__})") from exc
    if len(data) > limit:
        raise FileUnreadable(f"it is over the {limit:,} bytes I read")
    return data
