"""The last lines of a job log, read without holding a whole (possibly huge) log in memory.

GitHub answers a job-log request with a 302 to a short-lived signed URL on blob storage. That
URL carries its own credential, so it is fetched by a client without our Authorization header
(sending both is an error there, and the token has no business leaving GitHub). The body is
streamed, keeping only a rolling tail; reading stops at ``max_bytes`` so a runaway log cannot
cost more than that.
"""

from __future__ import annotations

import httpx

from integrations.errors import Timeout, Unavailable
from integrations.http import raise_for_status

SERVICE = "github"
MAX_LOG_BYTES = 8 * 1024 * 1024
TAIL_BYTES = 64 * 1024
MAX_LINE_CHARS = 500


async def read_tail(
    plain: httpx.AsyncClient, url: str, *, lines: int, max_bytes: int = MAX_LOG_BYTES
) -> tuple[list[str], bool]:
    """The last ``lines`` lines of the text at ``url`` and whether reading stopped at ``max_bytes``."""
    tail = b""
    read = 0
    truncated = False
    try:
        async with plain.stream("GET", url) as response:
            if not response.is_success:
                await response.aread()
                raise_for_status(response, SERVICE)
            async for chunk in response.aiter_bytes():
                read += len(chunk)
                tail = (tail + chunk)[-TAIL_BYTES:]
                if read >= max_bytes:
                    truncated = True
                    break
    except httpx.TimeoutException:
        raise Timeout(SERVICE, "timed out reading the job log") from None
    except httpx.TransportError as exc:
        raise Unavailable(SERVICE, f"could not read the job log ({type(exc).__name__})") from None
    text = tail.decode("utf-8", "replace")
    found = text.splitlines()
    if read > len(tail) and found:
        found = found[1:]  # the first line was cut by the tail window
    return [_short(line) for line in found[-lines:]], truncated


def _short(line: str) -> str:
    return line if len(line) <= MAX_LINE_CHARS else line[: MAX_LINE_CHARS - 1] + "…"
