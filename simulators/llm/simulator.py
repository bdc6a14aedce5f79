"""SIMULATED LLM: an OpenAI-compatible (and Anthropic Messages) server on loopback.

`LLMSimulator` speaks the real wire protocols: OpenAI chat completions (`POST /v1/chat/completions`,
JSON or data-only SSE with tool-call deltas by index and a usage chunk) and Anthropic Messages
(`POST /v1/messages`, named SSE events). By default its answers come from a small rule-based
planner (`simulators.llm.planner`) that chooses among the tools it is offered by their schemas and
writes its answer from their results; tests can `script()` exact turns and inject faults instead.

Nothing here is a real model: every response is labelled with the model name
``simulated-model`` and answers end with a note saying so.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import itertools
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from simulators.base import SimulatedServer
from simulators.llm.conversation import ChatMessage, Reply, ToolCall, estimate_tokens, split_words
from simulators.llm.planner import plan
from simulators.llm.toolbox import OfferedTool

SIMULATED_MODEL = "simulated-model"
_ARGUMENT_FRAGMENT_CHARS = 8

__all__ = ["SIMULATED_MODEL", "LLMSimulator", "ReceivedImage", "RecordedRequest", "ToolCall"]


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request the simulator received (the body as JSON; headers are not kept: they hold keys)."""

    path: str
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ReceivedImage:
    """An image a request carried in a user message, decoded from its base64."""

    media_type: str
    data: bytes


@dataclass(slots=True)
class _Fault:
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    error_mid_stream: bool = False
    stall_seconds: float = 0.0


class LLMSimulator(SimulatedServer):
    """A SIMULATED OpenAI-compatible / Anthropic LLM endpoint.

    Use as ``async with LLMSimulator() as llm:``; ``llm.base_url`` is the OpenAI-style base
    (``http://127.0.0.1:PORT/v1``) and ``llm.url`` the bare origin (Anthropic clients add ``/v1``).
    """

    def __init__(
        self,
        *,
        chunk_delay: float = 0.01,
        words_per_delta: int = 3,
        keyless: bool = False,
        images: bool = True,
        obeys_planted: bool = False,
    ) -> None:
        self.chunk_delay = chunk_delay
        # The deliberately UNSAFE model (``chatops eval --model simulated-unsafe``): it follows an
        # instruction planted in a tool result, so the write-safety checks can be seen failing.
        self.obeys_planted = obeys_planted
        # A model that sees images takes them as bytes in the prompt; one that does not refuses
        # a request carrying one with a 400, as OpenAI's text-only models do.
        self.images = images
        self.received_images: list[ReceivedImage] = []
        self.keyless = keyless  # serves without a key, as Ollama, vLLM and llama.cpp's server do
        self.words_per_delta = words_per_delta
        self.requests: list[RecordedRequest] = []
        self._script: list[Reply] = []
        self._faults: list[_Fault] = []
        self._ids = itertools.count(1)
        super().__init__()

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/v1/chat/completions", self._chat_completions)
        router.add_post("/chat/completions", self._chat_completions)
        router.add_get("/v1/models", self._models)
        router.add_get("/models", self._models)
        router.add_post("/v1/messages", self._messages)

    # -- test controls ---------------------------------------------------------------------

    def script(self, turns: Sequence[str | Sequence[ToolCall]]) -> None:
        """Queue exact assistant turns (text, or a list of tool calls); the planner takes over after."""
        self._script.extend(turn if isinstance(turn, str) else list(turn) for turn in turns)

    def fail_next(self, status: int, headers: dict[str, str] | None = None) -> None:
        """Answer the next request with this HTTP error status (OpenAI/Anthropic error body)."""
        self._faults.append(_Fault(status=status, headers=dict(headers or {})))

    def error_mid_stream_next(self) -> None:
        """Send part of the next streamed answer, then an error event, then close."""
        self._faults.append(_Fault(error_mid_stream=True))

    def stall_next(self, seconds: float) -> None:
        """Start the next streamed answer (or hold a plain one), then go silent for `seconds`.

        The silence ends early when the simulator stops.
        """
        self._faults.append(_Fault(stall_seconds=seconds))

    def chat_requests(self) -> list[dict[str, Any]]:
        """The JSON bodies of every request received, oldest first."""
        return [request.body for request in self.requests]

    # -- handlers --------------------------------------------------------------------------

    async def _models(self, request: web.Request) -> web.Response:
        if not (self.keyless or _authorised(request)):
            return _openai_error(
                401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key"
            )
        return web.json_response(
            {
                "object": "list",
                "data": [{"id": SIMULATED_MODEL, "object": "model", "created": 0, "owned_by": "simulator"}],
            }
        )

    async def _chat_completions(self, request: web.Request) -> web.StreamResponse:
        if not (self.keyless or _authorised(request)):
            return _openai_error(
                401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key"
            )
        body = await _json_body(request)
        if body is None or not isinstance(body.get("messages"), list):
            return _openai_error(400, "'messages' is a required property", "invalid_request_error", None)
        self.requests.append(RecordedRequest(request.path, body))
        images = _openai_images(body["messages"])
        if images and not self.images:
            message = "Invalid content type. image_url is only supported by certain models."
            return _openai_error(400, message, "invalid_request_error", None)
        self.received_images.extend(images)
        fault = self._take_fault()
        if fault.status:
            return _openai_status_error(fault)
        reply = self._reply(_openai_messages(body["messages"]), _openai_tools(body.get("tools")))
        usage = _usage(body, reply)
        model = str(body.get("model") or SIMULATED_MODEL)
        if not body.get("stream"):
            if fault.stall_seconds:
                await self._pause(fault)
            return web.json_response(_openai_completion(self._new_id("chatcmpl"), model, reply, usage))
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        return await self._openai_stream(request, model, reply, usage if include_usage else None, fault)

    async def _messages(self, request: web.Request) -> web.StreamResponse:
        if not _authorised(request):
            return _anthropic_error(401, "authentication_error", "invalid x-api-key")
        body = await _json_body(request)
        if body is None or not isinstance(body.get("messages"), list):
            return _anthropic_error(400, "invalid_request_error", "messages: Field required")
        self.requests.append(RecordedRequest(request.path, body))
        images = _anthropic_images(body["messages"])
        if images and not self.images:
            return _anthropic_error(400, "invalid_request_error", "This model does not support images.")
        self.received_images.extend(images)
        fault = self._take_fault()
        if fault.status:
            kind = {429: "rate_limit_error", 529: "overloaded_error"}.get(fault.status, "api_error")
            return _anthropic_error(fault.status, kind, "Simulated failure", fault.headers)
        messages = _anthropic_messages(body.get("system"), body["messages"])
        reply = self._reply(messages, _anthropic_tools(body.get("tools")))
        usage = _usage(body, reply)
        model = str(body.get("model") or SIMULATED_MODEL)
        if not body.get("stream"):
            return web.json_response(_anthropic_message(self._new_id("msg"), model, reply, usage))
        return await self._anthropic_stream(request, model, reply, usage, fault)

    # -- behaviour -------------------------------------------------------------------------

    def _take_fault(self) -> _Fault:
        return self._faults.pop(0) if self._faults else _Fault()

    def _reply(self, messages: list[ChatMessage], tools: list[OfferedTool]) -> Reply:
        if self._script:
            return self._script.pop(0)
        return plan(messages, tools, obeys_planted=self.obeys_planted)

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}-sim{next(self._ids):06d}"

    async def _pause(self, fault: _Fault) -> None:
        if fault.stall_seconds:
            try:
                await asyncio.wait_for(self.closing.wait(), fault.stall_seconds)
            except TimeoutError:
                pass
        elif self.chunk_delay:
            await asyncio.sleep(self.chunk_delay)

    # -- OpenAI streaming ------------------------------------------------------------------

    async def _openai_stream(
        self, request: web.Request, model: str, reply: Reply, usage: dict[str, int] | None, fault: _Fault
    ) -> web.StreamResponse:
        response = await _start_sse(request)
        chunk = _ChunkFactory(self._new_id("chatcmpl"), model)
        try:
            first_delta: dict[str, Any] = {
                "role": "assistant",
                "content": "" if isinstance(reply, str) else None,
            }
            await _send_data(response, chunk(first_delta))
            await self._pause(fault)
            if isinstance(reply, str):
                for index, piece in enumerate(split_words(reply, self.words_per_delta)):
                    if fault.error_mid_stream and index == 2:
                        await _send_data(
                            response,
                            _openai_error_body(
                                "The server had an error while processing your request.", "server_error", None
                            ),
                        )
                        return response
                    await _send_data(response, chunk({"content": piece}))
                    await self._pause(_Fault())
                await _send_data(response, chunk({}, "stop"))
            else:
                for index, call in enumerate(reply):
                    for fragment in _tool_call_fragments(index, call, self._new_id("call")):
                        await _send_data(response, chunk({"tool_calls": [fragment]}))
                await _send_data(response, chunk({}, "tool_calls"))
            if usage is not None:
                await _send_data(response, chunk.usage(usage))
            await response.write(b"data: [DONE]\n\n")
            await response.write_eof()
        except ConnectionResetError:
            # The client went away (e.g. its time budget ran out); nothing more to send.
            pass
        return response

    # -- Anthropic streaming ---------------------------------------------------------------

    async def _anthropic_stream(
        self, request: web.Request, model: str, reply: Reply, usage: dict[str, int], fault: _Fault
    ) -> web.StreamResponse:
        response = await _start_sse(request)
        message_id = self._new_id("msg")
        try:
            start = _anthropic_message(message_id, model, "", usage)
            start.update(
                content=[],
                stop_reason=None,
                usage={"input_tokens": usage["prompt_tokens"], "output_tokens": 1},
            )
            await _send_event(response, "message_start", {"type": "message_start", "message": start})
            await self._pause(fault)
            if isinstance(reply, str):
                await self._anthropic_text_block(response, reply, fault)
                if fault.error_mid_stream:
                    return response
                stop_reason = "end_turn"
            else:
                for index, call in enumerate(reply):
                    await _anthropic_tool_block(response, index, call, self._new_id("toolu"))
                stop_reason = "tool_use"
            await _send_event(
                response,
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                    "usage": {"output_tokens": usage["completion_tokens"]},
                },
            )
            await _send_event(response, "message_stop", {"type": "message_stop"})
            await response.write_eof()
        except ConnectionResetError:
            pass
        return response

    async def _anthropic_text_block(self, response: web.StreamResponse, text: str, fault: _Fault) -> None:
        await _send_event(
            response,
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        )
        for index, piece in enumerate(split_words(text, self.words_per_delta)):
            if fault.error_mid_stream and index == 2:
                await _send_event(
                    response,
                    "error",
                    {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
                )
                return
            delta = {"type": "text_delta", "text": piece}
            await _send_event(
                response, "content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}
            )
            await self._pause(_Fault())
        await _send_event(response, "content_block_stop", {"type": "content_block_stop", "index": 0})


# -- request parsing -----------------------------------------------------------------------


def _authorised(request: web.Request) -> bool:
    bearer = request.headers.get("Authorization", "")
    return (bearer.startswith("Bearer ") and len(bearer) > len("Bearer ")) or bool(
        request.headers.get("x-api-key")
    )


async def _json_body(request: web.Request) -> dict[str, Any] | None:
    try:
        body = await request.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            _text_of(part.get("text") if part.get("type") == "text" else part.get("content", ""))
            for part in content
            if isinstance(part, dict)
        )
    return ""


def _openai_images(raw: list[Any]) -> list[ReceivedImage]:
    """The images in user messages: ``image_url`` parts with a ``data:`` URL (how bytes are sent)."""
    found = []
    for item in raw:
        parts = item.get("content") if isinstance(item, dict) and item.get("role") == "user" else None
        for part in parts if isinstance(parts, list) else []:
            if isinstance(part, dict) and part.get("type") == "image_url":
                url = str((part.get("image_url") or {}).get("url") or "")
                header, _, data = url.partition(",")
                if header.startswith("data:") and header.endswith(";base64"):
                    found.append(ReceivedImage(header[5:-7], _decoded(data)))
                else:
                    found.append(ReceivedImage("url", url.encode()))
    return found


def _anthropic_images(raw: list[Any]) -> list[ReceivedImage]:
    found = []
    for item in raw:
        blocks = item.get("content") if isinstance(item, dict) else None
        for block in blocks if isinstance(blocks, list) else []:
            if isinstance(block, dict) and block.get("type") == "image":
                source = block.get("source") or {}
                data = _decoded(str(source.get("data") or "")) if source.get("type") == "base64" else b""
                found.append(ReceivedImage(str(source.get("media_type") or source.get("type")), data))
    return found


def _decoded(data: str) -> bytes:
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return b""


def _openai_messages(raw: list[Any]) -> list[ChatMessage]:
    messages: list[ChatMessage] = []
    for item in raw:
        if not isinstance(item, dict):
            continue
        role = item.get("role")
        if role in ("system", "developer"):
            messages.append(ChatMessage("system", _text_of(item.get("content"))))
        elif role == "user":
            messages.append(ChatMessage("user", _text_of(item.get("content"))))
        elif role == "tool":
            messages.append(ChatMessage("tool", _text_of(item.get("content"))))
        elif role == "assistant":
            calls = tuple(
                _openai_call(call) for call in item.get("tool_calls") or [] if isinstance(call, dict)
            )
            messages.append(ChatMessage("assistant", _text_of(item.get("content")), calls))
    return messages


def _openai_call(call: dict[str, Any]) -> ToolCall:
    function = call.get("function") or {}
    try:
        arguments = json.loads(function.get("arguments") or "{}")
    except ValueError:
        arguments = {}
    return ToolCall(str(function.get("name", "")), arguments if isinstance(arguments, dict) else {})


def _openai_tools(raw: Any) -> list[OfferedTool]:
    tools: list[OfferedTool] = []
    for tool in raw or []:
        function = tool.get("function") if isinstance(tool, dict) else None
        if isinstance(function, dict) and function.get("name"):
            schema = function.get("parameters")
            tools.append(
                OfferedTool.from_json_schema(
                    str(function["name"]),
                    str(function.get("description") or ""),
                    schema if isinstance(schema, dict) else {},
                )
            )
    return tools


def _anthropic_messages(system: Any, raw: list[Any]) -> list[ChatMessage]:
    messages: list[ChatMessage] = [ChatMessage("system", _text_of(system))] if system else []
    for item in raw:
        if not isinstance(item, dict):
            continue
        content = item.get("content")
        blocks = content if isinstance(content, list) else [{"type": "text", "text": content or ""}]
        if item.get("role") == "assistant":
            calls = tuple(
                ToolCall(str(block.get("name", "")), dict(block.get("input") or {}))
                for block in blocks
                if isinstance(block, dict) and block.get("type") == "tool_use"
            )
            text = _text_of(
                [block for block in blocks if isinstance(block, dict) and block.get("type") == "text"]
            )
            messages.append(ChatMessage("assistant", text, calls))
            continue
        for block in blocks:
            if not isinstance(block, dict):
                continue
            if block.get("type") == "tool_result":
                messages.append(ChatMessage("tool", _text_of(block.get("content"))))
            elif block.get("type") == "text":
                messages.append(ChatMessage("user", str(block.get("text", ""))))
    return messages


def _anthropic_tools(raw: Any) -> list[OfferedTool]:
    return [
        OfferedTool.from_json_schema(
            str(tool["name"]),
            str(tool.get("description") or ""),
            tool["input_schema"] if isinstance(tool.get("input_schema"), dict) else {},
        )
        for tool in raw or []
        if isinstance(tool, dict) and tool.get("name")
    ]


def _usage(body: dict[str, Any], reply: Reply) -> dict[str, int]:
    prompt = estimate_tokens(json.dumps(body.get("messages", [])) + json.dumps(body.get("tools", [])))
    output = reply if isinstance(reply, str) else json.dumps([[call.name, call.arguments] for call in reply])
    completion = estimate_tokens(output)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


# -- OpenAI wire shapes --------------------------------------------------------------------


class _ChunkFactory:
    """Builds `chat.completion.chunk` objects sharing one id/created/model, as OpenAI does."""

    def __init__(self, completion_id: str, model: str) -> None:
        self._base = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
            "system_fingerprint": "fp_simulated",
        }

    def __call__(self, delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        return {**self._base, "choices": [choice], "usage": None}

    def usage(self, usage: dict[str, int]) -> dict[str, Any]:
        return {**self._base, "choices": [], "usage": usage}


def _tool_call_fragments(index: int, call: ToolCall, call_id: str) -> list[dict[str, Any]]:
    arguments = json.dumps(call.arguments)
    first = {
        "index": index,
        "id": call_id,
        "type": "function",
        "function": {"name": call.name, "arguments": ""},
    }
    rest = [
        {"index": index, "function": {"arguments": arguments[i : i + _ARGUMENT_FRAGMENT_CHARS]}}
        for i in range(0, len(arguments), _ARGUMENT_FRAGMENT_CHARS)
    ]
    return [first, *rest]


def _openai_completion(completion_id: str, model: str, reply: Reply, usage: dict[str, int]) -> dict[str, Any]:
    if isinstance(reply, str):
        message: dict[str, Any] = {"role": "assistant", "content": reply, "refusal": None}
        finish = "stop"
    else:
        calls = [
            {
                "id": f"{completion_id}-call{i}",
                "type": "function",
                "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
            }
            for i, call in enumerate(reply)
        ]
        message = {"role": "assistant", "content": None, "refusal": None, "tool_calls": calls}
        finish = "tool_calls"
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": "fp_simulated",
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": usage,
    }


def _openai_error_body(message: str, kind: str, code: str | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def _openai_error(status: int, message: str, kind: str, code: str | None) -> web.Response:
    return web.json_response(_openai_error_body(message, kind, code), status=status)


def _openai_status_error(fault: _Fault) -> web.Response:
    if fault.status == 429:
        body = _openai_error_body("Rate limit reached (simulated).", "requests", "rate_limit_exceeded")
    elif fault.status >= 500:
        body = _openai_error_body(
            "The server had an error while processing your request (simulated).", "server_error", None
        )
    else:
        body = _openai_error_body("Simulated request error.", "invalid_request_error", None)
    return web.json_response(body, status=fault.status, headers=fault.headers)


# -- Anthropic wire shapes -----------------------------------------------------------------


def _anthropic_message(message_id: str, model: str, reply: Reply, usage: dict[str, int]) -> dict[str, Any]:
    if isinstance(reply, str):
        content: list[dict[str, Any]] = [{"type": "text", "text": reply}]
        stop_reason = "end_turn"
    else:
        content = [
            {"type": "tool_use", "id": f"{message_id}-toolu{i}", "name": call.name, "input": call.arguments}
            for i, call in enumerate(reply)
        ]
        stop_reason = "tool_use"
    return {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {"input_tokens": usage["prompt_tokens"], "output_tokens": usage["completion_tokens"]},
    }


async def _anthropic_tool_block(
    response: web.StreamResponse, index: int, call: ToolCall, tool_id: str
) -> None:
    block = {"type": "tool_use", "id": tool_id, "name": call.name, "input": {}}
    await _send_event(
        response,
        "content_block_start",
        {"type": "content_block_start", "index": index, "content_block": block},
    )
    arguments = json.dumps(call.arguments)
    fragments = [""] + [
        arguments[i : i + _ARGUMENT_FRAGMENT_CHARS]
        for i in range(0, len(arguments), _ARGUMENT_FRAGMENT_CHARS)
    ]
    for fragment in fragments:
        delta = {"type": "input_json_delta", "partial_json": fragment}
        await _send_event(
            response, "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
        )
    await _send_event(response, "content_block_stop", {"type": "content_block_stop", "index": index})


def _anthropic_error(
    status: int, kind: str, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    body = {"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_simulated"}
    return web.json_response(body, status=status, headers=headers)


# -- SSE -----------------------------------------------------------------------------------


async def _start_sse(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache"}
    )
    await response.prepare(request)
    return response


async def _send_data(response: web.StreamResponse, payload: dict[str, Any]) -> None:
    await response.write(f"data: {json.dumps(payload)}\n\n".encode())


async def _send_event(response: web.StreamResponse, event: str, payload: dict[str, Any]) -> None:
    await response.write(f"event: {event}\ndata: {json.dumps(payload)}\n\n".encode())
