"""Slack files: the ``files[]`` of a message as ``FileRef``s, and ``SlackFiles``, which fetches them.

A file's bytes are at its ``url_private_download``, readable with the bot token (``files:read``).
The token goes only to Slack's own file host, derived from the configured Web API URL (never from
the event, which anyone able to post could shape): ``files.slack.com`` for Slack itself, or the
API's own host when ``SLACK_API_URL`` points elsewhere (the simulator). Redirects are followed by
hand, each hop checked the same way. Slack answers a bad token with HTTP 200 and an HTML sign-in
page, so an HTML body is an auth failure, not the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.ports import FileContent, FileRef, FileUnreadable

SLACK_FILE_HOST = "files.slack.com"
MAX_REDIRECTS = 3
DOWNLOAD_TIMEOUT = aiohttp.ClientTimeout(total=30, connect=5)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_SIGN_IN = "Slack sent a sign-in page instead of the file (the bot lacks access or the files:read scope)"

Origin = tuple[str, str, int]  # scheme, host, port


def file_refs(event: Mapping[str, Any]) -> tuple[FileRef, ...]:
    """The files a message event carries; a Slack Connect stub is marked to be completed by files.info."""
    refs = []
    for item in event.get("files") or []:
        if isinstance(item, dict) and item.get("id"):
            refs.append(file_ref(item))
    return tuple(refs)


def file_ref(item: Mapping[str, Any]) -> FileRef:
    size = item.get("size")
    return FileRef(
        id=str(item["id"]),
        name=str(item.get("name") or item.get("title") or item["id"]),
        mimetype=str(item.get("mimetype") or ""),
        filetype=str(item.get("filetype") or ""),
        size=size if isinstance(size, int) else 0,
        url=str(item.get("url_private_download") or item.get("url_private") or ""),
        permalink=str(item.get("permalink") or ""),
        stub=item.get("file_access") == "check_file_info",
    )


def file_host(api_url: str) -> Origin:
    """Where the bot token may be sent for a file: Slack's file host, or the configured API's own."""
    parts = urlsplit(api_url)
    host = (parts.hostname or "").lower()
    if host == "slack.com" or host.endswith(".slack.com"):
        return ("https", SLACK_FILE_HOST, 443)
    return (parts.scheme, host, parts.port or _default_port(parts.scheme))


def origin_of(url: str) -> Origin | None:
    """``url``'s scheme, host and port; None for what is not a plain http(s) URL (e.g. user:pass@)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        return None
    return (parts.scheme, parts.hostname.lower(), port or _default_port(parts.scheme))


class SlackFiles:
    """Fetches attached files from Slack with the bot token (a ``FileSource``)."""

    label = "slack-file"

    def __init__(self, client: AsyncWebClient, *, api_url: str) -> None:
        self._client = client  # files.info for Slack Connect stubs, and the token
        self._host = file_host(api_url)

    async def fetch(self, ref: FileRef, *, limit: int) -> FileContent:
        if ref.stub:
            ref = await self.describe(ref)
        if ref.size > limit:
            raise FileUnreadable(f"it is {ref.size:,} bytes, over the {limit:,} I read")
        if not ref.url:
            raise FileUnreadable("Slack gave no download link for it")
        # A session of its own: the Web API's counts calls by method, and a file's name is none.
        async with aiohttp.ClientSession() as session:
            return await self._download(session, ref, limit)

    async def _download(self, session: aiohttp.ClientSession, ref: FileRef, limit: int) -> FileContent:
        url = ref.url
        for _ in range(MAX_REDIRECTS + 1):
            if origin_of(url) != self._host:
                raise FileUnreadable(
                    "its link is not on Slack's file host, so the bot did not send its token"
                )
            try:
                async with session.get(
                    url, headers=self._auth(), allow_redirects=False, timeout=DOWNLOAD_TIMEOUT
                ) as response:
                    if response.status in _REDIRECTS and "Location" in response.headers:
                        url = urljoin(url, response.headers["Location"])
                        continue
                    return await _content(ref, response, limit)
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise FileUnreadable(f"the download failed ({type(exc).__name__})") from exc
        raise FileUnreadable(f"Slack redirected the download more than {MAX_REDIRECTS} times")

    async def describe(self, ref: FileRef) -> FileRef:
        """A Slack Connect stub made whole: files.info is the only place its download link is."""
        if not ref.stub:
            return ref
        try:
            response = await self._client.files_info(file=ref.id)
        except SlackApiError as exc:
            raise FileUnreadable(f"Slack refused files.info ({exc.response.get('error', 'error')})") from exc
        item = response.get("file")
        if not isinstance(item, dict):
            raise FileUnreadable("Slack's files.info described no file")
        return file_ref(item)

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._client.token}"}


async def _content(ref: FileRef, response: aiohttp.ClientResponse, limit: int) -> FileContent:
    if response.status != 200:
        raise FileUnreadable(f"Slack answered HTTP {response.status}")
    media_type = response.content_type or "application/octet-stream"
    if media_type == "text/html":
        raise FileUnreadable(_SIGN_IN)
    if response.content_length is not None and response.content_length > limit:
        raise FileUnreadable(f"it is {response.content_length:,} bytes, over the {limit:,} I read")
    body = await response.content.read(limit + 1)
    if len(body) > limit:
        raise FileUnreadable(f"it is over the {limit:,} bytes I read")
    if _is_html(body):
        raise FileUnreadable(_SIGN_IN)
    if ref.size and len(body) != ref.size:
        raise FileUnreadable(f"the download was incomplete ({len(body):,} of {ref.size:,} bytes)")
    return FileContent(ref.name, media_type, body)


def _is_html(body: bytes) -> bool:
    start = body[:64].lstrip().lower()
    return start.startswith((b"<!doctype html", b"<html"))


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80
