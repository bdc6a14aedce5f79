"""The SIMULATED Slack Web API, driven by the real slack_sdk client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.models.messages.chunk import MarkdownTextChunk, TaskUpdateChunk
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from simulators.slack import SlackSimulator

TOKEN = "xoxb-test-token"


@pytest.fixture
async def sim() -> AsyncIterator[SlackSimulator]:
    async with SlackSimulator(token=TOKEN) as simulator:
        yield simulator


@pytest.fixture
def client(sim: SlackSimulator) -> AsyncWebClient:
    return AsyncWebClient(token=TOKEN, base_url=sim.api_url)


def error_of(raised: pytest.ExceptionInfo[SlackApiError]) -> str:
    return str(raised.value.response["error"])


async def test_auth_test_names_a_simulated_workspace(sim: SlackSimulator, client: AsyncWebClient) -> None:
    response = await client.auth_test()
    assert response["team"] == "Simulated Workspace"
    assert (response["team_id"], response["user_id"], response["bot_id"]) == (
        sim.team_id,
        sim.bot_user_id,
        sim.bot_id,
    )


async def test_wrong_token_is_invalid_auth_and_not_recorded(sim: SlackSimulator) -> None:
    with pytest.raises(SlackApiError) as raised:
        await AsyncWebClient(token="xoxb-wrong", base_url=sim.api_url).auth_test()
    assert error_of(raised) == "invalid_auth"
    [call] = sim.calls("auth.test")
    assert call.error == "invalid_auth" and "token" not in call.args


async def test_form_encoded_bodies_and_body_token_are_accepted(sim: SlackSimulator) -> None:
    form = {"token": TOKEN, "channel": "C1", "text": "hi", "unfurl_links": "false"}
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{sim.api_url}chat.postMessage", data=form) as response:
            body = await response.json()
    assert body["ok"] is True
    [call] = sim.calls("chat.postMessage")
    assert call.args == {"channel": "C1", "text": "hi", "unfurl_links": False}


async def test_post_and_update_shape_a_thread(sim: SlackSimulator, client: AsyncWebClient) -> None:
    root = sim.post_user_message("C1", "question")
    posted = await client.chat_postMessage(channel="C1", thread_ts=root, text="draft")
    await client.chat_update(channel="C1", ts=posted["ts"], markdown_text="**final**")
    thread = sim.thread("C1", root)
    assert [m["text"] for m in thread] == ["question", "**final**"]
    assert thread[1]["thread_ts"] == root and thread[1]["edits"] == 1
    assert posted["ts"] == "1700000000.000200"


async def test_markdown_text_conflicts_with_text(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel="C1", text="a", markdown_text="b")
    assert error_of(raised) == "markdown_text_conflict"


async def test_markdown_over_the_cap_is_too_long(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel="C1", markdown_text="x" * 12_001)
    assert error_of(raised) == "msg_too_long"


async def test_stream_renders_markdown_chunks_and_tasks(sim: SlackSimulator, client: AsyncWebClient) -> None:
    root = sim.post_user_message("D1", "question")
    stream = await client.chat_stream(channel="D1", thread_ts=root, buffer_size=1)
    await stream.append(chunks=[TaskUpdateChunk(id="t1", title="Jira: get OPS-2", status="in_progress")])
    await stream.append(markdown_text="Hello ")
    await stream.append(chunks=[MarkdownTextChunk(text="world")])
    await stream.stop(chunks=[TaskUpdateChunk(id="t1", title="Jira: get OPS-2", status="complete")])
    reply = sim.thread("D1", root)[1]
    assert reply["text"] == "Hello world"
    assert reply["state"] == "stopped"
    task = {"type": "task_update", "id": "t1", "title": "Jira: get OPS-2", "status": "complete"}
    assert reply["tasks"] == [task]


async def test_channel_stream_needs_recipients(sim: SlackSimulator, client: AsyncWebClient) -> None:
    root = sim.post_user_message("C1", "question")
    with pytest.raises(SlackApiError) as raised:
        await client.chat_startStream(channel="C1", thread_ts=root, markdown_text="x")
    assert error_of(raised) == "missing_recipient_user_id"
    with pytest.raises(SlackApiError) as raised:
        await client.chat_startStream(channel="C1", thread_ts=root, markdown_text="x", recipient_user_id="U1")
    assert error_of(raised) == "missing_recipient_team_id"
    started = await client.chat_startStream(
        channel="C1", thread_ts=root, markdown_text="x", recipient_user_id="U1", recipient_team_id="T1"
    )
    assert started["ts"]


async def test_stream_without_thread_is_invalid(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as raised:
        await client.api_call("chat.startStream", json={"channel": "D1", "markdown_text": "x"})
    assert error_of(raised) == "invalid_arguments"


async def test_streaming_message_cannot_be_edited_until_it_expires(
    sim: SlackSimulator, client: AsyncWebClient
) -> None:
    root = sim.post_user_message("D1", "question")
    started = await client.chat_startStream(channel="D1", thread_ts=root, markdown_text="partial")
    with pytest.raises(SlackApiError) as raised:
        await client.chat_update(channel="D1", ts=started["ts"], markdown_text="full")
    assert error_of(raised) == "streaming_state_conflict"
    sim.expire_streams()
    for method in (client.chat_appendStream, client.chat_stopStream):
        with pytest.raises(SlackApiError) as raised:
            await method(channel="D1", ts=started["ts"], markdown_text="more")
        assert error_of(raised) == "message_not_in_streaming_state"
    await client.chat_update(channel="D1", ts=started["ts"], markdown_text="full")
    assert sim.thread("D1", root)[1]["text"] == "full"


async def test_delete_removes_the_bots_own_message_from_its_thread(
    sim: SlackSimulator, client: AsyncWebClient
) -> None:
    root = sim.post_user_message("C1", "question")
    posted = await client.chat_postMessage(channel="C1", thread_ts=root, text="draft")
    kept = await client.chat_postMessage(channel="C1", thread_ts=root, text="kept")

    deleted = await client.chat_delete(channel="C1", ts=posted["ts"])

    assert (deleted["channel"], deleted["ts"]) == ("C1", posted["ts"])
    assert sim.message("C1", posted["ts"]) is None
    assert [m["ts"] for m in sim.thread("C1", root)] == [root, kept["ts"]]


async def test_a_streaming_message_can_be_deleted_and_its_stream_is_gone(
    sim: SlackSimulator, client: AsyncWebClient
) -> None:
    root = sim.post_user_message("D1", "question")
    started = await client.chat_startStream(channel="D1", thread_ts=root, markdown_text="partial")

    await client.chat_delete(channel="D1", ts=started["ts"])

    assert [m["ts"] for m in sim.thread("D1", root)] == [root]
    with pytest.raises(SlackApiError) as raised:
        await client.chat_appendStream(channel="D1", ts=started["ts"], markdown_text="more")
    assert error_of(raised) == "message_not_found"


async def test_delete_refuses_an_unknown_message_and_a_persons_message(
    sim: SlackSimulator, client: AsyncWebClient
) -> None:
    root = sim.post_user_message("C1", "question")
    posted = await client.chat_postMessage(channel="C1", thread_ts=root, text="answer")
    await client.chat_delete(channel="C1", ts=posted["ts"])

    for ts in (posted["ts"], "1700000099.000100"):  # already deleted, never posted
        with pytest.raises(SlackApiError) as raised:
            await client.chat_delete(channel="C1", ts=ts)
        assert error_of(raised) == "message_not_found"
    with pytest.raises(SlackApiError) as raised:
        await client.chat_delete(channel="C1", ts=root)
    assert error_of(raised) == "cant_delete_message"
    assert [m["text"] for m in sim.thread("C1", root)] == ["question"]


async def test_rate_limit_answers_429_with_retry_after(sim: SlackSimulator, client: AsyncWebClient) -> None:
    sim.rate_limit("chat.postMessage", times=1, retry_after=7)
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel="C1", text="hi")
    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "7"
    assert error_of(raised) == "ratelimited"
    await client.chat_postMessage(channel="C1", text="hi")
    assert [call.status for call in sim.calls("chat.postMessage")] == [429, 200]


async def test_refuse_injects_an_error_for_n_calls(sim: SlackSimulator, client: AsyncWebClient) -> None:
    sim.refuse("reactions.add", "not_reactable", times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError):
            await client.reactions_add(channel="C1", timestamp="1.0", name="eyes")
    await client.reactions_add(channel="C1", timestamp="1.0", name="eyes")
    assert sim.reactions("C1", "1.0") == ["eyes"]


async def test_set_status_ephemeral_and_unknown_methods(sim: SlackSimulator, client: AsyncWebClient) -> None:
    await client.assistant_threads_setStatus(channel_id="C1", thread_ts="1.0", status="is thinking…")
    await client.chat_postEphemeral(channel="C1", user="U1", text="only you")
    await client.api_call("users.info", params={"user": "U1"})
    assert sim.status("C1", "1.0") == "is thinking…"
    assert sim.ephemeral_messages[0]["text"] == "only you"
    assert [call.method for call in sim.calls()] == [
        "assistant.threads.setStatus",
        "chat.postEphemeral",
        "users.info",
    ]


async def test_response_url_is_recorded_and_limited_to_five_uses(sim: SlackSimulator) -> None:
    async with aiohttp.ClientSession() as session:
        statuses = []
        for n in range(6):
            async with session.post(f"{sim.url}/respond/abc", json={"text": f"note {n}"}) as response:
                statuses.append(response.status)
    assert statuses == [200] * 5 + [404]
    first = sim.calls("response_url")[0]
    assert first.args == {"text": "note 0", "response_url_token": "abc"}


async def test_wait_for_wakes_on_calls_and_times_out_with_context(
    sim: SlackSimulator, client: AsyncWebClient
) -> None:
    waiter = asyncio.create_task(sim.wait_for(lambda: len(sim.calls("chat.postMessage")) == 1))
    await client.chat_postMessage(channel="C1", text="hi")
    await waiter
    with pytest.raises(TimeoutError, match="chat.postMessage:ok"):
        await sim.wait_for(lambda: False, timeout=0.05)


# -- Socket Mode, driven by the real slack_sdk Socket Mode client ---------------------------


@dataclass
class SocketSession:
    client: SocketModeClient
    messages: asyncio.Queue[dict[str, Any]]
    requests: asyncio.Queue[SocketModeRequest]


@pytest.fixture
async def socket_session(sim: SlackSimulator) -> AsyncIterator[SocketSession]:
    web = AsyncWebClient(base_url=sim.api_url)
    client = SocketModeClient(app_token=sim.app_token, web_client=web)
    session = SocketSession(client, asyncio.Queue(), asyncio.Queue())

    async def on_message(_: object, message: dict[str, Any], raw: str | None) -> None:
        await session.messages.put(message)

    async def on_request(client: AsyncBaseSocketModeClient, request: SocketModeRequest) -> None:
        await session.requests.put(request)
        payload = {"text": "on it"} if request.type == "slash_commands" else None
        await client.send_socket_mode_response(SocketModeResponse(request.envelope_id, payload=payload))

    client.message_listeners.append(on_message)
    client.socket_mode_request_listeners.append(on_request)
    await client.connect()  # type: ignore[no-untyped-call]
    yield session
    await client.close()  # type: ignore[no-untyped-call]


async def test_connections_open_takes_only_the_app_token(sim: SlackSimulator) -> None:
    response = await AsyncWebClient(base_url=sim.api_url).apps_connections_open(app_token=sim.app_token)
    assert str(response["url"]).startswith(f"ws://127.0.0.1:{sim.url.rsplit(':', 1)[1]}/socket-mode/")
    with pytest.raises(SlackApiError) as raised:
        await AsyncWebClient(base_url=sim.api_url).apps_connections_open(app_token="xapp-1-wrong")
    assert error_of(raised) == "invalid_auth"
    with pytest.raises(SlackApiError) as raised:
        await AsyncWebClient(base_url=sim.api_url).apps_connections_open(app_token=TOKEN)
    assert error_of(raised) == "not_allowed_token_type"
    with pytest.raises(SlackApiError) as raised:
        await AsyncWebClient(token=sim.app_token, base_url=sim.api_url).auth_test()
    assert error_of(raised) == "not_allowed_token_type"
    assert all("token" not in call.args for call in sim.calls())


async def test_a_websocket_needs_a_ticket_from_connections_open(sim: SlackSimulator) -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as raised:
            await session.ws_connect(f"{sim.url}/socket-mode/made-up")
    assert raised.value.status == 401


async def test_a_client_is_greeted_and_its_acks_are_recorded(
    sim: SlackSimulator, socket_session: SocketSession
) -> None:
    hello = await asyncio.wait_for(socket_session.messages.get(), timeout=5)
    assert hello["type"] == "hello" and hello["num_connections"] == 1
    assert sim.connections_opened == 1 and sim.open_connections == 1

    event = {"type": "event_callback", "event_id": "Ev01", "event": {"type": "app_mention", "text": "hi"}}
    envelope_id = await sim.push_envelope("events_api", event, retry_attempt=2, retry_reason="timeout")
    request = await asyncio.wait_for(socket_session.requests.get(), timeout=5)
    assert (request.type, request.envelope_id, request.payload) == ("events_api", envelope_id, event)
    assert (request.retry_attempt, request.retry_reason) == (2, "timeout")
    assert request.accepts_response_payload is False
    ack = await sim.wait_for_ack(envelope_id)
    assert ack.payload is None and ack.connection == 1

    command = {"command": "/ask", "text": "OPS-2?", "trigger_id": "t1"}
    command_id = await sim.push_envelope("slash_commands", command)
    request = await asyncio.wait_for(socket_session.requests.get(), timeout=5)
    assert request.accepts_response_payload is True and request.retry_attempt is None
    assert (await sim.wait_for_ack(command_id)).payload == {"text": "on it"}
    assert [ack.envelope_id for ack in sim.acks()] == [envelope_id, command_id]


async def test_disconnect_makes_the_client_reconnect_on_a_new_url(
    sim: SlackSimulator, socket_session: SocketSession
) -> None:
    await sim.wait_for_connection(1)
    assert await sim.disconnect_clients() == 1
    await sim.wait_for_connection(2)
    await sim.wait_for(lambda: sim.open_connections == 1)
    assert len(sim.calls("apps.connections.open")) == 2
    envelope_id = await sim.push_envelope("events_api", {"type": "event_callback", "event_id": "Ev02"})
    assert (await sim.wait_for_ack(envelope_id)).connection == 2


async def test_push_without_a_client_is_an_error(sim: SlackSimulator) -> None:
    with pytest.raises(RuntimeError, match="no Socket Mode client"):
        await sim.push_envelope("events_api", {})
    with pytest.raises(TimeoutError):
        await sim.wait_for_ack("never-sent", timeout=0.05)


async def test_blocks_are_kept_on_the_message_and_block_kit_limits_are_enforced(
    sim: SlackSimulator, client: AsyncWebClient
) -> None:
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "card"}}
    posted = await client.chat_postMessage(channel="C1", text="fallback", blocks=[section])
    message = sim.message("C1", posted["ts"])
    assert message is not None and message["blocks"] == [section] and message["text"] == "fallback"

    too_long = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}
    too_many_fields = {"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}
    long_button = {
        "type": "actions",
        "elements": [{"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "b" * 76}}],
    }
    for bad in ([too_long], [too_many_fields], [long_button], [section] * 51):
        with pytest.raises(SlackApiError) as raised:
            await client.chat_postMessage(channel="C1", text="fallback", blocks=bad)
        assert error_of(raised) == "invalid_blocks"

    await client.chat_update(channel="C1", ts=posted["ts"], text="fallback", blocks=[])
    updated = sim.message("C1", posted["ts"])
    assert updated is not None and updated["blocks"] == []
