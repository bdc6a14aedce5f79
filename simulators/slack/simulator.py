"""SIMULATED Slack Web API: a local fake speaking Slack's wire protocol at ``POST /api/<method>``.

Point a real ``AsyncWebClient(base_url=f"{url}/api/")`` at it. It keeps message state per
channel (posted, streamed, edited), enforces the rules of the real API that shape a bot's
behaviour (recipients for channel streams, streaming state, size limits), records every call
in order, and injects faults on request (429 with ``Retry-After``, refusals, stream expiry).
Block Kit is checked as strictly as Slack checks it (``simulators.slack.blocks``): a message, stream,
unfurl or view with a broken block is refused with Slack's ``errors`` and nothing is posted.
``POST /respond/<token>`` stands in for slash-command ``response_url`` webhooks.

Socket Mode is simulated too: ``apps.connections.open`` (app-level ``xapp-`` token) hands out a
``ws://`` URL on this server; the WebSocket greets with ``hello``, carries the envelopes a test
pushes (``events_api``, ``slash_commands``, ...), records the client's acks, and can ask clients
to reconnect with a ``disconnect`` message, as Slack does when it refreshes connections.
Nothing here talks to Slack.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import WSCloseCode, WSMsgType, web

from simulators.base import SimulatedServer
from simulators.slack.agent import AgentSurface
from simulators.slack.blocks import block_problems, view_problems
from simulators.slack.files import FILES_PATH, SimulatedFiles
from simulators.slack.search import SEARCH_METHOD, RealTimeSearch
from simulators.slack.tiers import TierEnforcer

MARKDOWN_LIMIT = 12_000
TEXT_LIMIT = 40_000
RESPONSE_URL_USES = 5

_BASE_EPOCH = 1_700_000_000
_STRUCTURED_ARGS = ("chunks", "blocks", "attachments", "metadata", "loading_messages", "unfurls")
_BOOLEAN_ARGS = (
    "unfurl_links",
    "unfurl_media",
    "reply_broadcast",
    "link_names",
    "mrkdwn",
    "as_user",
    "replace_original",
)
_CHUNK_TYPES = ("markdown_text", "task_update", "plan_update", "blocks")

SOCKET_MODE_PATH = "/socket-mode"

MessageState = Literal["posted", "streaming", "stopped", "expired", "stopped_by_user"]
Handler = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class RecordedCall:
    """One request the simulator answered; ``args`` never include the token."""

    method: str
    args: dict[str, Any]
    at: float
    status: int = 200
    error: str | None = None
    problems: tuple[str, ...] = ()  # what Slack listed as wrong, e.g. with invalid_blocks

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
    blocks: list[dict[str, Any]] = field(default_factory=list)
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
            "blocks": [dict(block) for block in self.blocks],
            "state": self.state,
            "streaming": self.state == "streaming",
            "plan_title": self.plan_title,
            "tasks": [dict(task) for task in self.tasks.values()],
            "edits": self.edits,
        }


@dataclass(frozen=True, slots=True)
class SocketAck:
    """An acknowledgement a Socket Mode client sent back; ``payload`` is its optional response."""

    envelope_id: str
    payload: dict[str, Any] | None
    connection: int


@dataclass(slots=True)
class _Fault:
    remaining: int
    error: str
    retry_after: int | None = None


# What the simulated install granted: the bot scopes of manifest.yml. Real Slack reports the granted
# scopes on every Web API response in `x-oauth-scopes`; `chatops doctor` compares them to the manifest.
GRANTED_SCOPES = (
    "app_mentions:read",
    "chat:write",
    "commands",
    "channels:history",
    "groups:history",
    "im:history",
    "links:read",
    "links:write",
    "assistant:write",
    "files:read",
    "search:read.public",
)


class SlackApiRefusal(Exception):
    """Raised inside a method handler: answered as ``{"ok": false, "error": code}``.

    ``problems`` are Slack's detail lines (``response_metadata.messages``, each with ``[ERROR]``);
    ``listed`` also sends them bare as ``errors``, as Slack does for ``invalid_blocks``.
    """

    def __init__(self, error: str, problems: Sequence[str] = (), *, listed: bool = False) -> None:
        super().__init__(error)
        self.error = error
        self.problems = tuple(problems)
        self.listed = listed

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error": self.error}
        if self.problems and self.listed:
            body["errors"] = list(self.problems)
        if self.problems:
            body["response_metadata"] = {"messages": [f"[ERROR] {problem}" for problem in self.problems]}
        return body


class SlackSimulator(SimulatedServer):
    """SIMULATED Slack workspace ("Simulated Workspace") serving the Web API on loopback."""

    def __init__(
        self,
        *,
        token: str = "xoxb-simulated-token",
        app_token: str = "xapp-1-A0SIMAPP-1-simulated",
        team_id: str = "T0SIMULATED",
        bot_user_id: str = "U0SIMBOT",
        bot_id: str = "B0SIMBOT",
        tiers: TierEnforcer | None = None,
        agent_app: bool = True,
    ) -> None:
        self.token = token
        self.app_token = app_token
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.tiers = tiers  # rate tiers: 429 + Retry-After per method per workspace beyond them
        self.scopes = list(GRANTED_SCOPES)  # sent as x-oauth-scopes; a test may take one away
        self._calls: list[RecordedCall] = []
        self._messages: dict[tuple[str, str], SimulatedMessage] = {}
        self._statuses: dict[tuple[str, str], str] = {}
        self._reactions: dict[tuple[str, str], list[str]] = defaultdict(list)
        self._ephemeral: list[dict[str, Any]] = []
        self._unfurls: dict[tuple[str, str], dict[str, dict[str, Any]]] = defaultdict(dict)
        self._faults: dict[str, deque[_Fault]] = defaultdict(deque)
        self._response_url_uses: dict[str, int] = defaultdict(int)
        self._response_url_messages: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._sequence = 0
        self._changed: asyncio.Condition | None = None
        self._socket_tickets: set[str] = set()
        self._sockets: dict[int, web.WebSocketResponse] = {}
        self._socket_numbers = itertools.count(1)
        self._connections_opened = 0
        self._acks: list[SocketAck] = []
        self._exchanged_triggers: set[str] = set()
        self._views: list[dict[str, Any]] = []
        self._view_ids: set[str] = set()
        # The Messages tab: prompts and agent sessions (agent_app=False: no agent feature).
        self.agent = AgentSurface(lambda: self.scopes, SlackApiRefusal, agent_app=agent_app)
        # Real-time Search over the messages held here (``simulators.slack.search``).
        self.search = RealTimeSearch(lambda: list(self._messages.values()), lambda: self.scopes)
        # Files planted by tests, served for the bot token (``simulators.slack.files``).
        self.files = SimulatedFiles(
            token=token, team_id=team_id, origin=lambda: self.url, scopes=lambda: self.scopes
        )
        self._handlers: dict[str, Handler] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.delete": self._delete,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.startStream": self._start_stream,
            "chat.appendStream": self._append_stream,
            "chat.stopStream": self._stop_stream,
            "assistant.threads.setStatus": self._set_status,
            "reactions.add": self._add_reaction,
            "chat.unfurl": self._unfurl,
            "apps.connections.open": self._open_connection,
            "views.open": self._open_view,
            "views.push": self._open_view,
            "views.update": self._update_view,
            "views.publish": self._publish_view,
            "files.info": self.files.info,
            **self.agent.handlers(),
            SEARCH_METHOD: self.search.context,
        }
        super().__init__()

    # -- lifecycle -------------------------------------------------------------------------

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_route("*", "/api/{method}", self._serve_api)
        router.add_post("/respond/{token}", self._serve_response_url)
        router.add_get(SOCKET_MODE_PATH + "/{ticket}", self._serve_socket)
        router.add_get(FILES_PATH + "/{file}/download/{name}", self.files.serve)

    @property
    def api_url(self) -> str:
        """The value for ``SLACK_API_URL`` / ``AsyncWebClient(base_url=...)``."""
        return f"{self.url}/api/"

    async def stop(self) -> None:
        # Open WebSockets would hold the server's shutdown until its timeout.
        for socket in list(self._sockets.values()):
            await socket.close(code=WSCloseCode.GOING_AWAY, message=b"simulator stopping")
        await super().stop()

    # -- fault injection -------------------------------------------------------------------

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with HTTP 429 and ``Retry-After``."""
        self._faults[method].append(_Fault(times, "ratelimited", retry_after))

    def refuse(self, method: str, error: str, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with ``{"ok": false, "error": error}``."""
        self._faults[method].append(_Fault(times, error))

    def stop_by_user(self, channel: str, ts: str) -> None:
        """The user pressed Stop on a streaming message: Slack refuses further appends."""
        message = self._messages[(channel, ts)]
        if message.state == "streaming":
            message.state = "stopped_by_user"

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

    def unfurls(self, channel: str, ts: str) -> dict[str, dict[str, Any]]:
        """The unfurls the app attached to a message (``channel, ts``), by URL.

        For links still in the composer, pass ``"composer", unfurl_id``.
        """
        return dict(self._unfurls.get((channel, ts), {}))

    def response_url_messages(self, token: str) -> list[dict[str, Any]]:
        """What the messages sent through ``/respond/<token>`` show now, oldest first.

        ``replace_original`` rewrites the latest one, as Slack does; visibility stays as it was.
        """
        return [dict(message) for message in self._response_url_messages[token]]

    @property
    def opened_views(self) -> list[dict[str, Any]]:
        """Every modal ``views.open`` or ``views.push`` accepted, as the app sent it, oldest first."""
        return [dict(view) for view in self._views]

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

    # -- Socket Mode -----------------------------------------------------------------------

    @property
    def connections_opened(self) -> int:
        """How many Socket Mode WebSockets clients have opened so far."""
        return self._connections_opened

    @property
    def open_connections(self) -> int:
        return len(self._sockets)

    async def wait_for_connection(self, count: int = 1, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until ``count`` WebSockets have been opened in all and one of them is still open."""
        await self.wait_for(lambda: self._connections_opened >= count and bool(self._sockets), timeout)

    async def push_envelope(
        self,
        type: str,
        payload: dict[str, Any],
        *,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
    ) -> str:
        """Deliver an envelope on the newest open connection; returns its envelope_id.

        ``events_api`` payloads are event_callback bodies; ``slash_commands`` payloads are the
        command's fields; ``interactive`` payloads are block actions and the like.
        """
        if not self._sockets:
            raise RuntimeError("no Socket Mode client is connected to the simulator")
        envelope_id = str(uuid.uuid4())
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": type,
            "payload": payload,
            "accepts_response_payload": type != "events_api",
        }
        if type == "events_api" or retry_attempt is not None:
            envelope["retry_attempt"] = retry_attempt or 0
            envelope["retry_reason"] = retry_reason or ("timeout" if retry_attempt else "")
        await self._sockets[max(self._sockets)].send_json(envelope)
        return envelope_id

    def acks(self, envelope_id: str | None = None) -> list[SocketAck]:
        """The acknowledgements received, oldest first, optionally for one envelope."""
        return [ack for ack in self._acks if envelope_id is None or ack.envelope_id == envelope_id]

    async def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> SocketAck:  # noqa: ASYNC109
        """Wait for the client to acknowledge ``envelope_id``; returns the first acknowledgement."""
        await self.wait_for(lambda: bool(self.acks(envelope_id)), timeout)
        return self.acks(envelope_id)[0]

    async def disconnect_clients(self, reason: str = "refresh_requested") -> int:
        """Ask every connected client to reconnect; returns how many were asked.

        The connection stays open: a well-behaved client opens a new one and closes this itself.
        """
        message = {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-simulated"}}
        sockets = list(self._sockets.values())
        for socket in sockets:
            await socket.send_json(message)
        return len(sockets)

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
        if token != self._token_for(method):
            # Like Slack: a known token of the other kind is refused for its type, not as unknown.
            error = "not_allowed_token_type" if token in (self.token, self.app_token) else "invalid_auth"
            return await self._answer(method, args, {"ok": False, "error": error})
        retry_after = self.tiers.admit(self.team_id, method, _channel_arg(args)) if self.tiers else 0
        if retry_after:
            body = {"ok": False, "error": "ratelimited"}
            return await self._answer(
                method, args, body, status=429, headers={"Retry-After": str(retry_after)}
            )
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
            return await self._answer(method, args, refusal.body(), problems=refusal.problems)
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
        try:
            shown = {"text": str(args.get("text") or ""), "blocks": _blocks(args)}
        except SlackApiRefusal as refusal:
            body, problems = refusal.body(), refusal.problems
            return await self._answer("response_url", args, body, status=400, problems=problems)
        messages = self._response_url_messages[url_token]
        if args.get("replace_original") is True and messages:
            messages[-1] = {**shown, "response_type": messages[-1]["response_type"]}
        else:
            messages.append({**shown, "response_type": str(args.get("response_type") or "ephemeral")})
        return await self._answer("response_url", args, {"ok": True})

    async def _serve_socket(self, request: web.Request) -> web.StreamResponse:
        ticket = request.match_info["ticket"]
        if ticket not in self._socket_tickets:
            return web.json_response({"ok": False, "error": "invalid_ticket"}, status=401)
        socket = web.WebSocketResponse(autoping=True)  # answers the client's pings with pongs
        await socket.prepare(request)
        number = next(self._socket_numbers)
        self._sockets[number] = socket
        self._connections_opened += 1
        try:
            await socket.send_json(self._hello())
            await self._notify()
            async for message in socket:
                if message.type == WSMsgType.TEXT:
                    await self._receive_ack(number, message.data)
        finally:
            del self._sockets[number]
            await self._notify()
        return socket

    def _hello(self) -> dict[str, Any]:
        return {
            "type": "hello",
            "num_connections": len(self._sockets),
            "debug_info": {
                "host": "applink-simulated",
                "build_number": 1,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": "A0SIMAPP"},
        }

    async def _receive_ack(self, connection: int, raw: str) -> None:
        try:
            message = json.loads(raw)
        except json.JSONDecodeError:
            return  # Slack ignores frames it cannot read; so does the simulator
        if not isinstance(message, dict) or not isinstance(message.get("envelope_id"), str):
            return
        payload = message.get("payload")
        response = payload if isinstance(payload, dict) else None
        self._acks.append(SocketAck(message["envelope_id"], response, connection))
        await self._notify()

    async def _answer(
        self,
        method: str,
        args: dict[str, Any],
        body: dict[str, Any],
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        problems: tuple[str, ...] = (),
    ) -> web.Response:
        error = None if body.get("ok") else str(body.get("error", "unknown_error"))
        self._calls.append(RecordedCall(method, args, time.monotonic(), status, error, problems))
        await self._notify()
        scopes = {"x-oauth-scopes": ",".join(self.scopes)}
        return web.json_response(
            body, status=status, headers={"X-Simulated": "slack", **scopes, **(headers or {})}
        )

    async def _notify(self) -> None:
        changed = self._condition()
        async with changed:
            changed.notify_all()

    def _token_for(self, method: str) -> str:
        return self.app_token if method == "apps.connections.open" else self.token

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

    def _open_connection(self, args: dict[str, Any]) -> dict[str, Any]:
        ticket = uuid.uuid4().hex
        self._socket_tickets.add(ticket)
        websocket_base = "ws" + self.url.removeprefix("http")
        return {"ok": True, "url": f"{websocket_base}{SOCKET_MODE_PATH}/{ticket}"}

    def _post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = _required(args, "channel", "channel_not_found")
        text = _message_text(args)
        blocks = _blocks(args)
        message = self._bot_message(channel, args.get("thread_ts"))
        message.text, message.blocks = text, blocks
        return {"ok": True, "channel": channel, "ts": message.ts, "message": _payload(message)}

    def _update(self, args: dict[str, Any]) -> dict[str, Any]:
        message = self._find(args)
        if message.bot_id != self.bot_id:
            raise SlackApiRefusal("cant_update_message")
        if message.state == "streaming":
            raise SlackApiRefusal("streaming_state_conflict")
        text, blocks = _message_text(args), _blocks(args)
        message.text = text
        if "blocks" in args:
            message.blocks = blocks
        message.edits += 1
        return {
            "ok": True,
            "channel": message.channel,
            "ts": message.ts,
            "text": message.text,
            "message": _payload(message),
        }

    def _delete(self, args: dict[str, Any]) -> dict[str, Any]:
        # A bot token deletes only the bot's own messages; a streaming one too (its stream ends).
        message = self._find(args)
        if message.bot_id != self.bot_id:
            raise SlackApiRefusal("cant_delete_message")
        del self._messages[(message.channel, message.ts)]
        return {"ok": True, "channel": message.channel, "ts": message.ts}

    def _open_view(self, args: dict[str, Any]) -> dict[str, Any]:
        trigger = _required(args, "trigger_id", "invalid_trigger_id")
        view = _view(args, "modal")  # checked before the trigger is spent, as Slack does
        if trigger in self._exchanged_triggers:
            raise SlackApiRefusal("exchanged_trigger_id")
        self._exchanged_triggers.add(trigger)
        self._views.append(view)
        return {"ok": True, "view": self._shown_view(view)}

    def _update_view(self, args: dict[str, Any]) -> dict[str, Any]:
        view = _view(args, "modal")
        view_id = args.get("view_id")
        if not view_id and not args.get("external_id"):
            raise SlackApiRefusal("invalid_arguments")
        if view_id and view_id not in self._view_ids:
            raise SlackApiRefusal("not_found")
        return {"ok": True, "view": self._shown_view(view, str(view_id or "") or None)}

    def _publish_view(self, args: dict[str, Any]) -> dict[str, Any]:
        _required(args, "user_id", "invalid_arguments")
        return {"ok": True, "view": self._shown_view(_view(args, "home"))}

    def _shown_view(self, view: dict[str, Any], view_id: str | None = None) -> dict[str, Any]:
        view_id = view_id or f"V{uuid.uuid4().hex[:10].upper()}"
        self._view_ids.add(view_id)
        return {**view, "id": view_id, "state": {"values": {}}}

    def _post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = _required(args, "channel", "channel_not_found")
        user = _required(args, "user", "user_not_in_channel")
        text, blocks = _message_text(args), _blocks(args)
        ts = self._next_ts()
        self._ephemeral.append({"channel": channel, "user": user, "text": text, "blocks": blocks, "ts": ts})
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
        addition, blocks = _stream_addition(args), _blocks(args)
        _apply_stream(message, args, addition)
        if blocks:  # rendered after the streamed content
            message.blocks = blocks
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

    def _unfurl(self, args: dict[str, Any]) -> dict[str, Any]:
        # Either (channel, ts) of a posted message, or (unfurl_id, source) for a link in the composer.
        if args.get("unfurl_id") or args.get("source"):
            unfurl_id = _required(args, "unfurl_id", "missing_unfurl_id")
            source = _required(args, "source", "missing_source")
            if source not in ("composer", "conversations_history"):
                raise SlackApiRefusal("invalid_source")
            where, text = ("composer", unfurl_id), None
        else:
            channel = _required(args, "channel", "missing_channel")
            ts = _required(args, "ts", "missing_ts")
            message = self._messages.get((channel, ts))
            if message is None:
                raise SlackApiRefusal("cannot_find_message")
            where, text = (channel, ts), message.text
        unfurls = args.get("unfurls")
        if unfurls is None:
            raise SlackApiRefusal("missing_unfurls")
        if not isinstance(unfurls, dict) or not all(isinstance(v, dict) for v in unfurls.values()):
            raise SlackApiRefusal("invalid_unfurls_format")
        if text is not None and any(url not in text for url in unfurls):
            raise SlackApiRefusal("cannot_unfurl_message")
        _check_blocks(args.get("user_auth_blocks"), "/user_auth_blocks")
        checked = {url: _unfurl_payload(url, payload) for url, payload in unfurls.items()}
        self._unfurls[where].update(checked)
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
        if message.state == "stopped_by_user":
            raise SlackApiRefusal("stopped_by_user")
        if message.state != "streaming":
            raise SlackApiRefusal("message_not_in_streaming_state")
        return message


def _unfurl_payload(url: str, payload: dict[str, Any]) -> dict[str, Any]:
    """One unfurl: Block Kit ``blocks`` (checked like a message's) or a legacy attachment."""
    if "blocks" in payload:
        pointer = "/unfurls/" + url.replace("~", "~0").replace("/", "~1") + "/blocks"
        return {**payload, "blocks": _check_blocks(payload["blocks"], pointer)}
    if not any(key in payload for key in ("text", "title", "fallback", "hide_original_url")):
        raise SlackApiRefusal("cannot_parse_attachment")
    return dict(payload)


def _channel_arg(args: dict[str, Any]) -> str | None:
    channel = args.get("channel") or args.get("channel_id")
    return str(channel) if channel else None


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


def _blocks(args: dict[str, Any]) -> list[dict[str, Any]]:
    """The call's ``blocks``, as Slack would take them; none when the call sends none."""
    return _check_blocks(args.get("blocks"), "/blocks")


def _check_blocks(blocks: Any, pointer: str) -> list[dict[str, Any]]:
    if blocks is None:
        return []
    if isinstance(blocks, str):  # form-encoded JSON that did not parse
        raise SlackApiRefusal("invalid_blocks_format")
    problems = block_problems(blocks, pointer)
    if problems:
        raise SlackApiRefusal("invalid_blocks", problems, listed=True)
    return [dict(block) for block in blocks]


def _view(args: dict[str, Any], kind: str) -> dict[str, Any]:
    """The ``view`` argument, decoded and checked; Slack refuses a broken view as invalid_arguments."""
    view = args.get("view")
    if isinstance(view, str):
        try:
            view = json.loads(view)
        except json.JSONDecodeError as error:
            raise SlackApiRefusal("invalid_arguments") from error
    problems = view_problems(view, kinds=(kind,))
    if problems or not isinstance(view, dict):
        raise SlackApiRefusal("invalid_arguments", problems)
    return view


def _stream_addition(args: dict[str, Any]) -> str:
    """The markdown a stream call appends, validated before any state changes."""
    chunks = args.get("chunks") or []
    if not isinstance(chunks, list) or not all(_valid_chunk(chunk) for chunk in chunks):
        raise SlackApiRefusal("invalid_chunks")
    for index, chunk in enumerate(chunks):
        if chunk["type"] == "blocks":
            _check_blocks(chunk["blocks"], f"/chunks/{index}/blocks")
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
    return isinstance(chunk.get("blocks"), list)


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
