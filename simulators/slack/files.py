"""SIMULATED Slack files: planted files served the way Slack serves them, and a foreign host.

``SimulatedFiles`` holds the files a test plants (bytes, name, mimetype) and answers for them:
``files.info`` returns the file object, and ``GET /files-pri/<team>-<id>/download/<name>`` (the
file's ``url_private_download``, on the simulator's own host) returns the bytes for the bot token.
As on Slack, a missing or wrong token (or one without ``files:read``) gets HTTP 200 with an HTML
sign-in page, not an error.
A planted file may instead redirect its download elsewhere (``moved_to``).

``ForeignHost`` stands for any other server (a link someone pasted, a redirect target): it
serves the same bytes for every GET and records each request's Authorization header, so a test
can show the bot token never reached it. Nothing here talks to Slack.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from simulators.base import SimulatedServer

FILES_PATH = "/files-pri"
SIGN_IN_PAGE = (
    "<!DOCTYPE html><html><head><title>Slack</title></head>"
    "<body><h1>Sign in to Simulated Workspace</h1></body></html>"
)


@dataclass(frozen=True, slots=True)
class Download:
    """One GET of a planted file: which file, and whether it carried the right bot token."""

    file_id: str
    authorized: bool
    authorization: str | None  # the header as sent (tests check where the token went)


@dataclass(slots=True)
class _Planted:
    info: dict[str, Any]
    data: bytes
    moved_to: str | None = None


class SimulatedFiles:
    """The workspace's files: planted by tests, described by files.info, downloaded with the token."""

    def __init__(
        self, *, token: str, team_id: str, origin: Callable[[], str], scopes: Callable[[], list[str]]
    ) -> None:
        self._token = token
        self._scopes = scopes  # without files:read, the token is refused like a wrong one
        self._team_id = team_id
        self._origin = origin  # the simulator's URL, known once it runs
        self._files: dict[str, _Planted] = {}
        self._ids = itertools.count(1)
        self.downloads: list[Download] = []

    def plant(
        self,
        data: bytes,
        name: str,
        mimetype: str,
        *,
        filetype: str = "",
        moved_to: str | None = None,
        url: str | None = None,
    ) -> dict[str, Any]:
        """Put a file into the workspace; the file object an event's ``files[]`` would carry.

        ``moved_to``: its download answers with a 302 to that URL. ``url``: the object claims this
        download link instead of the simulator's own (as a forged or foreign event might).
        """
        file_id = f"F0SIM{next(self._ids):05d}"
        download = f"{self._origin()}{FILES_PATH}/{self._team_id}-{file_id}/download/{name}"
        info = {
            "id": file_id,
            "name": name,
            "title": name,
            "mimetype": mimetype,
            "filetype": filetype or name.rsplit(".", 1)[-1].lower(),
            "size": len(data),
            "mode": "hosted",
            "url_private": download.replace("/download/", "/"),
            "url_private_download": url or download,
            "permalink": f"https://simulated-workspace.slack.invalid/files/U0SIMUSER/{file_id}/{name}",
        }
        self._files[file_id] = _Planted(info, data, moved_to)
        return dict(info)

    def stub(self, file: dict[str, Any]) -> dict[str, Any]:
        """The Slack Connect form of a planted file: only its id, until files.info is called."""
        return {"id": file["id"], "file_access": "check_file_info"}

    def info(self, args: dict[str, Any]) -> dict[str, Any]:
        """``files.info``: the planted file's object, or ``file_not_found``."""
        planted = self._files.get(str(args.get("file") or ""))
        if planted is None:
            return {"ok": False, "error": "file_not_found"}
        return {"ok": True, "file": dict(planted.info)}

    async def serve(self, request: web.Request) -> web.StreamResponse:
        file_id = request.match_info["file"].rsplit("-", 1)[-1]
        header = request.headers.get("Authorization")
        authorized = header == f"Bearer {self._token}" and "files:read" in self._scopes()
        self.downloads.append(Download(file_id, authorized, header))
        planted = self._files.get(file_id)
        if not authorized or planted is None:
            # Slack's answer to a bad token: a sign-in page with status 200, not a 401.
            return web.Response(text=SIGN_IN_PAGE, content_type="text/html")
        if planted.moved_to is not None:
            raise web.HTTPFound(planted.moved_to)
        return web.Response(body=planted.data, content_type=str(planted.info["mimetype"]))


class ForeignHost(SimulatedServer):
    """Any server that is not Slack's: serves ``body`` to every GET, recording who asked and how."""

    def __init__(self, body: bytes = b"ERROR this is not a Slack file\n") -> None:
        self.body = body
        self.requests: list[str | None] = []  # each GET's Authorization header, in order
        super().__init__()

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/{tail:.*}", self._serve)

    async def _serve(self, request: web.Request) -> web.Response:
        self.requests.append(request.headers.get("Authorization"))
        return web.Response(body=self.body, content_type="text/plain")
