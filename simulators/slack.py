"""SIMULATED Slack Web API: a local fake speaking Slack's wire protocol at ``POST /api/<method>``.

Point a real ``AsyncWebClient(base_url=f"{url}/api/")`` at it. It keeps message state per
channel (posted, streamed, edited), enforces the rules of the real API that shape a bot's
behaviour (recipients for channel streams, streaming state, size limits), records every call
in order, and injects faults on request (429 with ``Retry-After``, refusals, stream expiry).
``POST /respond/<token>`` stands in for slash-command ``response_url`` webhooks.
Nothing here talks to Slack.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal

from aiohttp import web

from simulators.server import LocalServer

MARKDOWN_LIMIT = 12_000
TEXT_LIMIT = 40_000
RESPONSE_URL_USES = 5

_BASE_EPOCH = 1_700_000_000
_STRUCTURED_ARGS = ("chunks", "blocks", "attachments", "metadata", "loading_messages")
_BOOLEAN_ARGS = ("unfurl_links", "unfurl_media", "reply_broadcast", "link_names", "mrkdwn", "as_user")
_CHUNK_TYPES = ("markdown_text", "task_update", "plan_update", "blocks")

MessageState = Literal["posted", "streaming", "stopped", "expired"]
Handler = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class RecordedCall:
    """One request the simulator answered; ``args`` never include the token."""

    method: str
    args: dict[str, Any]
    at: float
    status: int = 200
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(slots=True)
class SimulatedMessage:
    channel: str
    ts: str
    user: str
    thread_ts: str | None = None
    bot_id: str | None = None
    text: str = ""
    state: MessageState = "posted"
    plan_title: str | None = None
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    edits: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": "message",
            "channel": self.channel,
            "ts": self.ts,
            "thread_ts": self.thread_ts,
            "user": self.user,
            "bot_id": self.bot_id,
            "text": self.text,
            "state": self.state,
            "streaming": self.state == "streaming",
            "plan_title": self.plan_title,
            "tasks": [dict(task) for task in self.tasks.values()],
            "edits": self.edits,
        }


@dataclass(slots=True)
class _Fault:
    remaining: int
    error: str
    retry_after: int | None = None


class SlackApiRefusal(Exception):
    """Raised inside a method handler: answered as ``{"ok": false, "error": code}``."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


class SlackSimulator:
    """SIMULATED Slack workspace ("Simulated Workspace") serving the Web API on loopback."""

    def __init__(
        self,
        *,
        token: str = "xoxb-simulated-token",
        team_id: str = "T0SIMULATED",
        bot_user_id: str = "U0SIMBOT",
        bot_id: str = "B0SIMBOT",
    ) -> None:
        self.token = token
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self._calls: list[RecordedCall] = []
        self._messages: dict[tuple[str, str], SimulatedMessage] = {}
        self._statuses: dict[tuple[str, str], str] = {}
        self._reactions: dict[tuple[str, str], list[str]] = defaultdict(list)
        self._ephemeral: list[dict[str, Any]] = []
        self._faults: dict[str, deque[_Fault]] = defaultdict(deque)
        self._response_url_uses: dict[str, int] = defaultdict(int)
        self._sequence = 0
        self._changed: asyncio.Condition | None = None
        self._server: LocalServer | None = None
        self._handlers: dict[str, Handler] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.startStream": self._start_stream,
            "chat.appendStream": self._append_stream,
            "chat.stopStream": self._stop_stream,
            "assistant.threads.setStatus": self._set_status,
            "reactions.add": self._add_reaction,
        }
        self.app = web.Application()
        self.app.router.add_route("*", "/api/{method}", self._serve_api)
        self.app.router.add_post("/respond/{token}", self._serve_response_url)

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._server is None or not self._server.url:
            raise RuntimeError("the Slack simulator is not running")
        return self._server.url

    @property
    def api_url(self) -> str:
        """The value for ``SLACK_API_URL`` / ``AsyncWebClient(base_url=...)``."""
        return f"{self.url}/api/"

    async def __aenter__(self) -> SlackSimulator:
        self._server = LocalServer(self.app)
        await self._server.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._server is not None:
            await self._server.stop()
            self._server = None

    # -- fault injection -------------------------------------------------------------------

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with HTTP 429 and ``Retry-After``."""
        self._faults[method].append(_Fault(times, "ratelimited", retry_after))

    def refuse(self, method: str, error: str, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with ``{"ok": false, "error": error}``."""
        self._faults[method].append(_Fault(times, error))

    def expire_streams(self) -> None:
        """Finalise every open stream, as Slack silently does after about five minutes."""
        for message in self._messages.values():
            if message.state == "streaming":
                message.state = "expired"

    # -- seeding and queries ---------------------------------------------------------------

    def post_user_message(
        self, channel: str, text: str, *, user: str = "U0SIMUSER", thread_ts: str | None = None
    ) -> str:
        """Put a person's message into the workspace (not recorded as an API call); returns its ts."""
        message = SimulatedMessage(channel, self._next_ts(), user, thread_ts=thread_ts, text=text)
        self._messages[(channel, message.ts)] = message
        return message.ts

    def calls(self, method: str | None = None) -> list[RecordedCall]:
        return [call for call in self._calls if method is None or call.method == method]

    def thread(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        """The thread's root and replies, oldest first, each with its final rendered ``text``."""
        members = [
            message
            for (message_channel, ts), message in self._messages.items()
            if message_channel == channel and thread_ts in (ts, message.thread_ts)
        ]
        return [message.as_dict() for message in sorted(members, key=lambda m: _ts_key(m.ts))]

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        found = self._messages.get((channel, ts))
        return found.as_dict() if found else None

    def status(self, channel: str, thread_ts: str) -> str | None:
        return self._statuses.get((channel, thread_ts))

    def reactions(self, channel: str, ts: str) -> list[str]:
        return list(self._reactions.get((channel, ts), []))

    @property
    def ephemeral_messages(self) -> list[dict[str, Any]]:
        return list(self._ephemeral)

    # A timeout argument (not asyncio.timeout at the call site) keeps test code to one line.
    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until ``predicate()`` holds; it is re-checked after every recorded call."""
        changed = self._condition()
        try:
            async with asyncio.timeout(timeout), changed:
                await changed.wait_for(predicate)
        except TimeoutError:
            seen = [f"{call.method}:{call.error or 'ok'}" for call in self._calls]
            raise TimeoutError(f"condition not met within {timeout}s; calls so far: {seen}") from None

    # -- HTTP ------------------------------------------------------------------------------

    async def _serve_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            args, body_token = await _read_args(request)
        except ValueError:
            return await self._answer(method, {}, {"ok": False, "error": "invalid_json"})
        token = _bearer(request) or body_token
        if not token:
            return await self._answer(method, args, {"ok": False, "error": "not_authed"})
        if token != self.token:
            return await self._answer(method, args, {"ok": False, "error": "invalid_auth"})
        fault = self._take_fault(method)
        if fault is not None and fault.retry_after is not None:
            body = {"ok": False, "error": fault.error}
            headers = {"Retry-After": str(fault.retry_after)}
            return await self._answer(method, args, body, status=429, headers=headers)
        if fault is not None:
            return await self._answer(method, args, {"ok": False, "error": fault.error})
        handler = self._handlers.get(method, _acknowledge)
        try:
            body = handler(args)
        except SlackApiRefusal as refusal:
            body = {"ok": False, "error": refusal.error}
        return await self._answer(method, args, body)

    async def _serve_response_url(self, request: web.Request) -> web.Response:
        url_token = request.match_info["token"]
        try:
            args, _ = await _read_args(request)
        except ValueError:
            return await self._answer("response_url", {}, {"ok": False, "error": "invalid_json"}, status=400)
        args["response_url_token"] = url_token
        self._response_url_uses[url_token] += 1
        if self._response_url_uses[url_token] > RESPONSE_URL_USES:
            return await self._answer("response_url", args, {"ok": False, "error": "used_url"}, status=404)
        return await self._answer("response_url", args, {"ok": True})

    async def _answer(
        self,
        method: str,
        args: dict[str, Any],
        body: dict[str, Any],
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> web.Response:
        error = None if body.get("ok") else str(body.get("error", "unknown_error"))
        self._calls.append(RecordedCall(method, args, time.monotonic(), status, error))
        changed = self._condition()
        async with changed:
            changed.notify_all()
        return web.json_response(body, status=status, headers={"X-Simulated": "slack", **(headers or {})})

    def _condition(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    def _take_fault(self, method: str) -> _Fault | None:
        queue = self._faults.get(method)
        if not queue:
            return None
        fault = queue[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            queue.popleft()
        return fault

    def _next_ts(self) -> str:
        self._sequence += 1
        micros = self._sequence * 100
        return f"{_BASE_EPOCH + micros // 1_000_000}.{micros % 1_000_000:06d}"

    # -- methods ---------------------------------------------------------------------------

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://simulated-workspace.slack.invalid/",
            "team": "Simulated Workspace",
            "user": "chatops-bot",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": "A0SIMAPP",
            "is_enterprise_install": False,
        }

    def _post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = _required(args, "channel", "channel_not_found")
        text = _message_text(args)
        message = self._bot_message(channel, args.get("thread_ts"))
        message.text = text
        return {"ok": True, "channel": channel, "ts": message.ts, "message": _payload(message)}

    def _update(self, args: dict[str, Any]) -> dict[str, Any]:
        message = self._find(args)
        if message.bot_id != self.bot_id:
            raise SlackApiRefusal("cant_update_message")
        if message.state == "streaming":
            raise SlackApiRefusal("streaming_state_conflict")
        message.text = _message_text(args)
        message.edits += 1
        return {
            "ok": True,
            "channel": message.channel,
            "ts": message.ts,
            "text": message.text,
            "message": _payload(message),
        }

    def _post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = _required(args, "channel", "channel_not_found")
        user = _required(args, "user", "user_not_in_channel")
        text = _message_text(args)
        ts = self._next_ts()
        self._ephemeral.append({"channel": channel, "user": user, "text": text, "ts": ts})
        return {"ok": True, "message_ts": ts}

    def _start_stream(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = _required(args, "channel", "channel_not_found")
        thread_ts = _required(args, "thread_ts", "invalid_arguments")
        if not channel.startswith("D"):
            _required(args, "recipient_user_id", "missing_recipient_user_id")
            _required(args, "recipient_team_id", "missing_recipient_team_id")
        addition = _stream_addition(args)
        message = self._bot_message(channel, thread_ts)
        message.state = "streaming"
        _apply_stream(message, args, addition)
        return {"ok": True, "channel": channel, "ts": message.ts}

    def _append_stream(self, args: dict[str, Any]) -> dict[str, Any]:
        message = self._streaming(args)
        addition = _stream_addition(args)
        if not addition and not args.get("chunks"):
            raise SlackApiRefusal("no_text")
        _apply_stream(message, args, addition)
        return {"ok": True, "channel": message.channel, "ts": message.ts}

    def _stop_stream(self, args: dict[str, Any]) -> dict[str, Any]:
        message = self._streaming(args)
        _apply_stream(message, args, _stream_addition(args))
        message.state = "stopped"
        return {"ok": True, "channel": message.channel, "ts": message.ts, "message": _payload(message)}

    def _set_status(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = _required(args, "channel_id", "channel_not_found")
        thread_ts = _required(args, "thread_ts", "invalid_thread_ts")
        if "status" not in args:
            raise SlackApiRefusal("invalid_arguments")
        self._statuses[(channel, thread_ts)] = str(args["status"])
        return {"ok": True}

    def _add_reaction(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = _required(args, "channel", "channel_not_found")
        ts = _required(args, "timestamp", "no_item_specified")
        name = _required(args, "name", "invalid_name")
        names = self._reactions[(channel, ts)]
        if name in names:
            raise SlackApiRefusal("already_reacted")
        names.append(name)
        return {"ok": True}

    # -- state helpers ---------------------------------------------------------------------

    def _bot_message(self, channel: str, thread_ts: object) -> SimulatedMessage:
        parent = str(thread_ts) if thread_ts else None
        message = SimulatedMessage(channel, self._next_ts(), self.bot_user_id, parent, self.bot_id)
        self._messages[(channel, message.ts)] = message
        return message

    def _find(self, args: dict[str, Any]) -> SimulatedMessage:
        channel = _required(args, "channel", "channel_not_found")
        ts = _required(args, "ts", "message_not_found")
        message = self._messages.get((channel, ts))
        if message is None:
            raise SlackApiRefusal("message_not_found")
        return message

    def _streaming(self, args: dict[str, Any]) -> SimulatedMessage:
        message = self._find(args)
        if message.bot_id != self.bot_id:
            raise SlackApiRefusal("message_not_owned_by_app")
        if message.state != "streaming":
            raise SlackApiRefusal("message_not_in_streaming_state")
        return message


def _acknowledge(args: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True}


async def _read_args(request: web.Request) -> tuple[dict[str, Any], str | None]:
    args: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        raw = await request.text()
        try:
            body = json.loads(raw) if raw.strip() else {}
        except json.JSONDecodeError as error:
            raise ValueError("invalid JSON body") from error
        if isinstance(body, dict):
            args.update(body)
    elif request.can_read_body:
        form = await request.post()
        args.update({key: value for key, value in form.items() if isinstance(value, str)})
    token = args.pop("token", None)
    decoded = {key: _decode(key, value) for key, value in args.items()}
    return decoded, token if isinstance(token, str) else None


def _decode(key: str, value: Any) -> Any:
    if key in _STRUCTURED_ARGS and isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    if key in _BOOLEAN_ARGS and isinstance(value, str):
        return value.lower() in ("1", "true")
    return value


def _bearer(request: web.Request) -> str | None:
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" and credentials.strip() else None


def _required(args: dict[str, Any], name: str, error: str) -> str:
    value = args.get(name)
    if value is None or value == "":
        raise SlackApiRefusal(error)
    return str(value)


def _message_text(args: dict[str, Any]) -> str:
    text, markdown = args.get("text"), args.get("markdown_text")
    if markdown is not None and (text or args.get("blocks")):
        raise SlackApiRefusal("markdown_text_conflict")
    if markdown is not None:
        if len(str(markdown)) > MARKDOWN_LIMIT:
            raise SlackApiRefusal("msg_too_long")
        if not str(markdown):
            raise SlackApiRefusal("no_text")
        return str(markdown)
    if text:
        if len(str(text)) > TEXT_LIMIT:
            raise SlackApiRefusal("msg_too_long")
        return str(text)
    if args.get("blocks") or args.get("attachments"):
        return ""
    raise SlackApiRefusal("no_text")


def _stream_addition(args: dict[str, Any]) -> str:
    """The markdown a stream call appends, validated before any state changes."""
    chunks = args.get("chunks") or []
    if not isinstance(chunks, list) or not all(_valid_chunk(chunk) for chunk in chunks):
        raise SlackApiRefusal("invalid_chunks")
    addition = str(args.get("markdown_text") or "")
    addition += "".join(str(chunk["text"]) for chunk in chunks if chunk["type"] == "markdown_text")
    if len(addition) > MARKDOWN_LIMIT:
        raise SlackApiRefusal("msg_too_long")
    return addition


def _valid_chunk(chunk: object) -> bool:
    if not isinstance(chunk, dict) or chunk.get("type") not in _CHUNK_TYPES:
        return False
    if chunk["type"] == "markdown_text":
        return isinstance(chunk.get("text"), str)
    if chunk["type"] == "task_update":
        return bool(chunk.get("id")) and bool(chunk.get("title")) and bool(chunk.get("status"))
    if chunk["type"] == "plan_update":
        return bool(chunk.get("title"))
    return True


def _apply_stream(message: SimulatedMessage, args: dict[str, Any], addition: str) -> None:
    message.text += addition
    for chunk in args.get("chunks") or []:
        if chunk["type"] == "task_update":
            message.tasks[str(chunk["id"])] = dict(chunk)
        elif chunk["type"] == "plan_update":
            message.plan_title = str(chunk["title"])


def _payload(message: SimulatedMessage) -> dict[str, Any]:
    payload = {
        "type": "message",
        "user": message.user,
        "bot_id": message.bot_id,
        "app_id": "A0SIMAPP",
        "text": message.text,
        "ts": message.ts,
    }
    if message.thread_ts:
        payload["thread_ts"] = message.thread_ts
    return payload


def _ts_key(ts: str) -> tuple[int, int]:
    seconds, _, micros = ts.partition(".")
    return int(seconds), int(micros or 0)
