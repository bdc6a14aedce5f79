"""The SIMULATED LLM's wire formats (OpenAI chat-completions SSE/JSON, Anthropic Messages SSE),
read with a plain httpx client, as an SDK would see them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from simulators.llm import LLMSimulator, ToolCall

AUTH = {"Authorization": "Bearer sk-test"}
QUESTION = {"role": "user", "content": "why is OPS-2 blocked?"}


@pytest.fixture
async def llm() -> AsyncIterator[LLMSimulator]:
    async with LLMSimulator(chunk_delay=0) as simulator:
        yield simulator


@pytest.fixture
async def http(llm: LLMSimulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=llm.base_url, headers=AUTH) as client:
        yield client


async def sse_data(http: httpx.AsyncClient, body: dict[str, Any]) -> list[str]:
    """The `data:` payloads of a streamed response, in order, with the framing checked."""
    payloads: list[str] = []
    async with http.stream("POST", "/chat/completions", json=body) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        raw = (await response.aread()).decode()
    for block in raw.split("\n\n"):
        if block:
            assert block.startswith("data: "), block
            payloads.append(block.removeprefix("data: "))
    return payloads


def chunks(payloads: list[str]) -> list[dict[str, Any]]:
    return [json.loads(payload) for payload in payloads if payload != "[DONE]"]


async def test_streamed_text_has_role_chunk_several_deltas_finish_usage_and_done(
    llm: LLMSimulator, http: httpx.AsyncClient
) -> None:
    llm.script(["OPS-2 is blocked by OPS-1, whose fix is still in review."])
    body = {"model": "m", "messages": [QUESTION], "stream": True, "stream_options": {"include_usage": True}}

    payloads = await sse_data(http, body)

    assert payloads[-1] == "[DONE]"
    parsed = chunks(payloads)
    assert {chunk["id"] for chunk in parsed} == {parsed[0]["id"]}
    assert all(chunk["object"] == "chat.completion.chunk" for chunk in parsed)
    assert parsed[0]["choices"][0]["delta"]["role"] == "assistant"
    contents = [c["choices"][0]["delta"].get("content") for c in parsed[1:] if c["choices"]]
    texts = [text for text in contents if text]
    assert len(texts) > 3
    assert "".join(texts) == "OPS-2 is blocked by OPS-1, whose fix is still in review."
    with_choices = [c for c in parsed if c["choices"]]
    assert [c["choices"][0]["finish_reason"] for c in with_choices][-1] == "stop"
    assert all(c["choices"][0]["finish_reason"] is None for c in with_choices[:-1])
    usage_chunk = parsed[-1]
    assert usage_chunk["choices"] == []
    assert usage_chunk["usage"]["total_tokens"] == (
        usage_chunk["usage"]["prompt_tokens"] + usage_chunk["usage"]["completion_tokens"]
    )
    assert all(c["usage"] is None for c in parsed[:-1])


async def test_no_usage_chunk_unless_asked(llm: LLMSimulator, http: httpx.AsyncClient) -> None:
    llm.script(["hello there"])

    parsed = chunks(await sse_data(http, {"model": "m", "messages": [QUESTION], "stream": True}))

    assert all(chunk["choices"] for chunk in parsed)


async def test_streamed_tool_calls_come_as_fragments_by_index(
    llm: LLMSimulator, http: httpx.AsyncClient
) -> None:
    llm.script([[ToolCall("jira_get_issue", {"key": "OPS-2"}), ToolCall("jira_get_issue", {"key": "OPS-1"})]])

    parsed = chunks(await sse_data(http, {"model": "m", "messages": [QUESTION], "stream": True}))

    fragments = [
        fragment
        for chunk in parsed
        if chunk["choices"]
        for fragment in chunk["choices"][0]["delta"].get("tool_calls") or []
    ]
    by_index: dict[int, list[dict[str, Any]]] = {}
    for fragment in fragments:
        by_index.setdefault(fragment["index"], []).append(fragment)
    assert sorted(by_index) == [0, 1]
    for index, key in ((0, "OPS-2"), (1, "OPS-1")):
        first, *rest = by_index[index]
        assert first["id"].startswith("call") and first["type"] == "function"
        assert first["function"]["name"] == "jira_get_issue"
        assert len(rest) > 1
        assert all(set(fragment) == {"index", "function"} for fragment in rest)
        arguments = first["function"]["arguments"] + "".join(f["function"]["arguments"] for f in rest)
        assert json.loads(arguments) == {"key": key}
    assert by_index[0][0]["id"] != by_index[1][0]["id"]
    assert parsed[-1]["choices"][0]["finish_reason"] == "tool_calls"


async def test_non_streamed_answer_is_a_chat_completion(llm: LLMSimulator, http: httpx.AsyncClient) -> None:
    llm.script([[ToolCall("github_get_pull_request", {"repo": "acme/payments", "number": 42})]])

    response = await http.post("/chat/completions", json={"model": "m", "messages": [QUESTION]})

    completion = response.json()
    assert completion["object"] == "chat.completion"
    choice = completion["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    call = choice["message"]["tool_calls"][0]
    assert json.loads(call["function"]["arguments"]) == {"repo": "acme/payments", "number": 42}
    assert completion["usage"]["prompt_tokens"] > 0


async def test_missing_bearer_token_gets_openai_401(llm: LLMSimulator) -> None:
    async with httpx.AsyncClient(base_url=llm.base_url) as anonymous:
        response = await anonymous.post("/chat/completions", json={"model": "m", "messages": [QUESTION]})

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"
    assert llm.requests == []


async def test_fail_next_answers_once_with_status_headers_and_error_shape(
    llm: LLMSimulator, http: httpx.AsyncClient
) -> None:
    llm.fail_next(429, {"retry-after": "3"})
    body = {"model": "m", "messages": [QUESTION], "stream": True}

    failed = await http.post("/chat/completions", json=body)
    recovered = await sse_data(http, body)

    assert failed.status_code == 429
    assert failed.headers["retry-after"] == "3"
    assert set(failed.json()["error"]) == {"message", "type", "param", "code"}
    assert recovered[-1] == "[DONE]"


async def test_error_mid_stream_sends_an_error_object_and_no_done(
    llm: LLMSimulator, http: httpx.AsyncClient
) -> None:
    llm.script(["one two three four five six seven eight nine ten"])
    llm.error_mid_stream_next()

    payloads = await sse_data(http, {"model": "m", "messages": [QUESTION], "stream": True})

    assert "[DONE]" not in payloads
    assert "error" in json.loads(payloads[-1])


async def test_every_request_body_is_recorded(llm: LLMSimulator, http: httpx.AsyncClient) -> None:
    history = [{"role": "user", "content": "earlier"}, {"role": "assistant", "content": "reply"}, QUESTION]

    await http.post("/chat/completions", json={"model": "m", "messages": history})

    assert [r.path for r in llm.requests] == ["/v1/chat/completions"]
    assert llm.requests[0].body["messages"] == history


async def test_models_lists_the_simulated_model(http: httpx.AsyncClient) -> None:
    response = await http.get("/models")

    assert response.json()["data"][0]["id"] == "simulated-model"


async def test_default_planner_calls_offered_jira_tool_for_keys(http: httpx.AsyncClient) -> None:
    tools = [
        {
            "type": "function",
            "function": {"name": "jira_get_issue", "parameters": {"properties": {"key": {}}}},
        }
    ]
    body = {
        "model": "m",
        "messages": [{"role": "user", "content": "status of OPS-2 and OPS-4?"}],
        "tools": tools,
    }

    response = await http.post("/chat/completions", json=body)

    calls = response.json()["choices"][0]["message"]["tool_calls"]
    assert [json.loads(call["function"]["arguments"]) for call in calls] == [
        {"key": "OPS-2"},
        {"key": "OPS-4"},
    ]


async def test_anthropic_stream_uses_named_events_in_order(llm: LLMSimulator) -> None:
    llm.script([[ToolCall("jira_get_issue", {"key": "OPS-2"})], "OPS-2 is blocked by OPS-1."])
    body = {"model": "m", "max_tokens": 100, "stream": True, "messages": [QUESTION]}
    headers = {"x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01"}

    async with httpx.AsyncClient(base_url=llm.url, headers=headers) as client:
        tool_raw = (await client.post("/v1/messages", json=body)).text
        text_raw = (await client.post("/v1/messages", json=body)).text

    def events(raw: str) -> list[tuple[str, dict[str, Any]]]:
        out = []
        for block in filter(None, raw.split("\n\n")):
            name_line, data_line = block.split("\n")
            name, data = name_line.removeprefix("event: "), json.loads(data_line.removeprefix("data: "))
            assert data["type"] == name
            out.append((name, data))
        return out

    tool_events = events(tool_raw)
    assert [name for name, _ in tool_events][:2] == ["message_start", "content_block_start"]
    assert tool_events[1][1]["content_block"]["type"] == "tool_use"
    partial = "".join(
        data["delta"]["partial_json"] for name, data in tool_events if name == "content_block_delta"
    )
    assert json.loads(partial) == {"key": "OPS-2"}
    assert [name for name, _ in tool_events][-2:] == ["message_delta", "message_stop"]
    assert tool_events[-2][1]["delta"]["stop_reason"] == "tool_use"
    text = "".join(data["delta"]["text"] for name, data in events(text_raw) if name == "content_block_delta")
    assert text == "OPS-2 is blocked by OPS-1."
