"""Writes asked through `chatops mcp`, approved in Slack: the official ``mcp`` client over real
Streamable HTTP on loopback calls a write, the card appears in MCP_APPROVAL_CHANNEL, and a click
at `chatops serve` (the e2e bot, on the same database) decides it. Jira is the simulator, which
counts writes; Slack is the simulator, which shows the card and its update."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx2
import mcp
import pytest
from mcp.client.streamable_http import streamable_http_client
from mcp.types import Implementation

from bot.config import Settings
from bot.mcp import INSTRUCTIONS, STATUS_TOOL, Endpoint, mcp_server
from bot.slack.blocks.approvals import APPROVE, DENY
from bot.store import Store
from simulators.slack import RecordedCall, SlackSimulator
from tests.e2e.conftest import RunningBot, Upstreams
from tests.e2e.slack_requests import SlackRequests
from tests.e2e.test_approval_flow import button, ephemeral_to, text_of, write_requests

TOKEN = "mcp-token-for-e2e"
APPROVALS = "C0APPROVALS"
APPROVER = "U0APPROVER"
STRANGER = "U0STRANGER"
CLIENT = "claude-code"
COMMENT = {"key": "OPS-1", "body": "Deployed the fix to staging."}
WRITES = {
    "jira_create_issue",
    "jira_add_comment",
    "jira_transition",
    "jira_assign",
    "github_create_issue",
    "github_comment",
    "github_rerun_failed_jobs",
}

Serve = Callable[[float], Awaitable[str]]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """`chatops serve`'s settings: only APPROVER may approve writes."""
    return settings.model_copy(update={"write_users": [APPROVER]})


@pytest.fixture
async def serve_mcp(settings: Settings, bot: RunningBot) -> AsyncIterator[Serve]:
    """Starts `chatops mcp` (after the bot, on its database and Slack) with a given wait for
    approvals; its endpoint's URL."""
    mcp_settings = settings.model_copy(update={"mcp_approval_channel": APPROVALS})
    stopping: list[Callable[[], Awaitable[None]]] = []

    async def serve(wait_seconds: float) -> str:
        server = mcp_server(mcp_settings, wait_seconds=wait_seconds)
        endpoint = Endpoint(await server.__aenter__(), token=TOKEN, host="127.0.0.1", port=0)

        async def stop() -> None:
            await endpoint.stop()
            await server.__aexit__(None, None, None)

        stopping.append(stop)
        return await endpoint.start()

    yield serve
    for stop in reversed(stopping):
        await stop()


@asynccontextmanager
async def connect(url: str, *, name: str = CLIENT, mode: str = "auto") -> AsyncIterator[mcp.Client]:
    info = Implementation(name=name, version="1.0")
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        async with mcp.Client(
            streamable_http_client(url, http_client=http), client_info=info, mode=mode
        ) as client:
            yield client


async def call(url: str, tool: str, arguments: dict[str, Any], **kwargs: Any) -> mcp.types.CallToolResult:
    async with connect(url, **kwargs) as client:
        return await client.call_tool(tool, arguments)


def cards(slack: SlackSimulator) -> list[RecordedCall]:
    """The approval cards posted in the approval channel."""
    return [
        posted
        for posted in slack.calls("chat.postMessage")
        if posted.ok and posted.args.get("channel") == APPROVALS and APPROVE in str(posted.args.get("blocks"))
    ]


async def card(bot: RunningBot, slack: SlackSimulator, count: int = 1) -> dict[str, Any]:
    """The ``count``-th card, as the channel shows it now (found by its approval's message_ts)."""
    await slack.wait_for(lambda: len(cards(slack)) >= count)
    blocks = cards(slack)[count - 1].args["blocks"]
    approval_id = next(
        element["value"] for block in blocks if block["type"] == "actions" for element in block["elements"]
    )
    assert bot.services.desk is not None
    for _ in range(100):
        record = await bot.services.desk.approvals.get(approval_id)
        if record is not None and record.message_ts:
            message = slack.message(APPROVALS, record.message_ts)
            assert message is not None
            return message
        await asyncio.sleep(0.05)
    raise AssertionError(f"approval {approval_id} has no card")


async def click(
    bot: RunningBot, requests: SlackRequests, message: dict[str, Any], action: str, user: str
) -> None:
    body, headers = requests.block_action(
        button(message, action), message=message, channel=APPROVALS, user=user
    )
    response = await bot.post(body, headers)
    assert response.status_code == 200


def answer(result: mcp.types.CallToolResult) -> str:
    block = result.content[0]
    assert isinstance(block, mcp.types.TextContent)
    return block.text


def structured(result: mcp.types.CallToolResult) -> dict[str, Any]:
    assert result.structured_content is not None, answer(result)
    return result.structured_content


def comments(upstreams: Upstreams) -> list[str]:
    return [request for request in write_requests(upstreams) if request.endswith("/comment")]


# -- the tests -----------------------------------------------------------------------------


async def test_writes_are_listed_with_write_annotations_and_a_read_only_status_tool(serve_mcp: Serve) -> None:
    url = await serve_mcp(1.0)
    async with connect(url) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        instructions = client.instructions

    assert WRITES <= set(tools)
    for name in WRITES:
        hints = tools[name].annotations
        assert hints is not None, name
        assert (hints.read_only_hint, hints.destructive_hint) == (False, True), name
        assert (hints.idempotent_hint, hints.open_world_hint) == (True, True), name
    expected = tools["jira_add_comment"].input_schema
    assert set(expected["properties"]) == {"key", "body"} and expected["required"] == ["key", "body"]
    status = tools[STATUS_TOOL].annotations
    assert status is not None and status.read_only_hint is True
    assert instructions == INSTRUCTIONS and STATUS_TOOL in INSTRUCTIONS


async def test_a_write_waits_for_an_allowed_click_and_answers_the_outcome(
    serve_mcp: Serve,
    bot: RunningBot,
    upstreams: Upstreams,
    slack_requests: SlackRequests,
    settings: Settings,
) -> None:
    url = await serve_mcp(20.0)
    progress: list[float] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append(done)

    async with connect(url) as client:
        pending = asyncio.create_task(
            client.call_tool("jira_add_comment", COMMENT, progress_callback=on_progress)
        )
        message = await card(bot, upstreams.slack)
        await asyncio.sleep(1.2)  # a progress notification or two while the card waits
        await click(bot, slack_requests, message, APPROVE, APPROVER)
        result = await asyncio.wait_for(pending, 15)

    assert not result.is_error, answer(result)
    assert structured(result)["status"] == "executed"
    assert answer(result).startswith("Approved in Slack and done: Commented on OPS-1")
    assert progress, "no progress notification while waiting"
    assert len(comments(upstreams)) == 1
    shown = text_of(message)
    assert CLIENT in shown and "Jira: comment on OPS-1" in shown and "Deployed the fix to staging." in shown
    await upstreams.slack.wait_for(
        lambda: "Done" in text_of(upstreams.slack.message(APPROVALS, message["ts"]) or {})
    )
    assert len(cards(upstreams.slack)) == 1
    await _assert_the_run_is_the_clients(settings, structured(result)["approval_id"])


async def _assert_the_run_is_the_clients(settings: Settings, approval_id: str) -> None:
    store = await Store.open(settings.database_url)
    try:
        runs = [run for run in await store.unfinished_runs() if run.trigger == "mcp"]
        assert runs == []
        conversation = await store.find_conversation("mcp", CLIENT, "")
        assert conversation is not None
        mine = await store.runs(conversation)
    finally:
        await store.close()
    assert mine and all(run.trigger == "mcp" and run.user_id == CLIENT for run in mine)
    assert [run.status for run in mine] == ["succeeded"] * len(mine)


@pytest.mark.parametrize("mode", ["auto", "legacy"])  # the client named in the envelope, or at initialize
async def test_a_late_click_answers_pending_then_approval_status_gives_the_outcome(
    serve_mcp: Serve, bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests, mode: str
) -> None:
    url = await serve_mcp(1.0)

    first = await call(url, "jira_add_comment", COMMENT, mode=mode)
    approval_id = structured(first)["approval_id"]
    waiting = await call(url, STATUS_TOOL, {"approval_id": approval_id}, mode=mode)
    await click(bot, slack_requests, await card(bot, upstreams.slack), APPROVE, APPROVER)
    await bot.settle()
    later = await call(url, STATUS_TOOL, {"approval_id": approval_id}, mode=mode)
    elsewhere = await call(url, STATUS_TOOL, {"approval_id": approval_id}, name="another-client")

    assert structured(first)["status"] == "pending_approval" and not first.is_error
    assert approval_id in answer(first) and STATUS_TOOL in answer(first)
    assert structured(waiting)["status"] == "pending_approval"
    assert structured(later)["status"] == "executed", answer(later)
    assert CLIENT in text_of(await card(bot, upstreams.slack))
    assert "Commented on OPS-1" in answer(later)
    assert elsewhere.is_error and comments(upstreams) == [comments(upstreams)[0]]


async def test_the_same_call_sent_again_joins_the_request(
    serve_mcp: Serve, bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    url = await serve_mcp(1.0)

    first, again = await asyncio.gather(
        call(url, "jira_add_comment", COMMENT), call(url, "jira_add_comment", dict(reversed(COMMENT.items())))
    )
    other = await call(url, "jira_add_comment", COMMENT, name="another-client")
    await click(bot, slack_requests, await card(bot, upstreams.slack), APPROVE, APPROVER)
    await bot.settle()
    after = await call(url, "jira_add_comment", COMMENT)

    assert (
        structured(first)["approval_id"]
        == structured(again)["approval_id"]
        == structured(after)["approval_id"]
    )
    assert (
        structured(other)["approval_id"] != structured(first)["approval_id"]
    )  # another client's own request
    assert structured(after)["status"] == "executed"
    assert len(cards(upstreams.slack)) == 2  # this client's one, and the other client's
    assert len(comments(upstreams)) == 1


async def test_a_denial_answers_denied_and_writes_nothing(
    serve_mcp: Serve, bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests, settings: Settings
) -> None:
    url = await serve_mcp(20.0)

    async with connect(url) as client:
        pending = asyncio.create_task(client.call_tool("jira_add_comment", COMMENT))
        await click(bot, slack_requests, await card(bot, upstreams.slack), DENY, APPROVER)
        result = await asyncio.wait_for(pending, 15)

    assert not result.is_error
    assert structured(result)["status"] == "denied"
    assert "nothing was changed" in answer(result)
    assert write_requests(upstreams) == []
    await bot.settle()
    await _assert_the_run_is_the_clients(settings, structured(result)["approval_id"])


async def test_someone_not_in_write_users_cannot_approve(
    serve_mcp: Serve, bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    url = await serve_mcp(1.0)

    first = await call(url, "jira_add_comment", COMMENT)
    await click(bot, slack_requests, await card(bot, upstreams.slack), APPROVE, STRANGER)
    await upstreams.slack.wait_for(lambda: bool(ephemeral_to(upstreams.slack, STRANGER)))
    await bot.settle()
    status = await call(url, STATUS_TOOL, {"approval_id": structured(first)["approval_id"]})

    assert "WRITE_USERS" in ephemeral_to(upstreams.slack, STRANGER)[0]
    assert structured(status)["status"] == "pending_approval"
    assert write_requests(upstreams) == []


async def test_invalid_arguments_are_a_tool_error_naming_the_field_and_nothing_is_asked(
    serve_mcp: Serve, upstreams: Upstreams
) -> None:
    url = await serve_mcp(1.0)

    result = await call(url, "jira_add_comment", {"key": "not a key", "body": "x"})

    assert result.is_error
    assert answer(result).startswith("invalid arguments for jira_add_comment: key:")
    assert cards(upstreams.slack) == []


async def test_a_request_nobody_decides_in_time_expires_here_and_its_card_says_so(
    bot: RunningBot, upstreams: Upstreams, settings: Settings
) -> None:
    quick = settings.model_copy(update={"mcp_approval_channel": APPROVALS, "approval_ttl_minutes": 0.01})
    async with mcp_server(quick, wait_seconds=5.0) as server:
        endpoint = Endpoint(server, token=TOKEN, host="127.0.0.1", port=0)
        try:
            result = await call(await endpoint.start(), "jira_add_comment", COMMENT)
        finally:
            await endpoint.stop()

    assert structured(result)["status"] == "expired" and not result.is_error
    assert "expired" in answer(result)
    message = await card(bot, upstreams.slack)
    assert "Expired" in text_of(message)
    assert write_requests(upstreams) == []
    await _assert_the_run_is_the_clients(settings, structured(result)["approval_id"])
