"""The team's MCP tools from Slack (MCP_CONFIG) against the SIMULATED incident MCP server, over the
real protocol on loopback: a read runs at once, a write becomes a card in the thread that only the
asker's Approve turns into one call of the server's tool, across double clicks and a restart. The
LLM is scripted; the MCP simulator counts the calls it served."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.slack.blocks.approvals import APPROVE, DENY, EDIT
from simulators.llm import ToolCall
from simulators.mcp import MCPSimulator
from tests.e2e.conftest import RunningBot, StartBot, Upstreams, listener_tasks
from tests.e2e.slack_requests import ASKER, SlackRequests
from tests.e2e.test_approval_flow import (
    CHANNEL,
    OTHER,
    approval_ids,
    ask,
    button,
    click,
    ephemeral_to,
    replied,
    shown,
    text_of,
    until,
)

READS = ["incidents_list", "incident_get", "flag_get"]
GET = ToolCall("incidents_incident_get", {"id": "INC-101"})
ACK = ToolCall("incidents_incident_acknowledge", {"id": "INC-101", "note": "Ana is on it"})


@pytest.fixture
async def incidents() -> AsyncIterator[MCPSimulator]:
    async with MCPSimulator() as sim:
        yield sim


@pytest.fixture
def settings(settings: Settings, incidents: MCPSimulator, tmp_path: Path) -> Settings:
    """The e2e bot's settings plus MCP_CONFIG naming the simulator (its annotations not trusted)."""
    config = tmp_path / "mcp.json"
    server = {"url": incidents.url, "trust_annotations": False, "read_only": READS}
    config.write_text(json.dumps({"mcpServers": {"incidents": server}}))
    return settings.model_copy(update={"mcp_config": config})


def _abandon_listeners() -> None:
    """Cancel Bolt's listener tasks still at work, as a dying process would leave them."""
    for task in listener_tasks():
        task.cancel()


def writes(sim: MCPSimulator) -> list[str]:
    return [call.tool for call in sim.calls if call.tool not in READS]


async def test_a_read_runs_at_once_and_a_write_waits_for_the_askers_approve(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests, incidents: MCPSimulator
) -> None:
    upstreams.llm.script([[GET], [ACK], "INC-101 is acknowledged."])
    await ask(bot, upstreams, slack_requests, "acknowledge INC-101, Ana is on it")

    assert [call.tool for call in incidents.calls] == ["incident_get"], "the read ran, the write waits"
    (approval_id,) = approval_ids(upstreams.slack)
    card = text_of(await shown(bot, upstreams.slack, approval_id))
    assert "MCP server: incidents" in card and "Tool: incident_acknowledge" in card
    assert '"id": "INC-101"' in card and '"note": "Ana is on it"' in card, "the exact arguments"
    assert {
        button(await shown(bot, upstreams.slack, approval_id), a)["action_id"] for a in (APPROVE, EDIT, DENY)
    }

    await click(bot, upstreams, slack_requests, approval_id, APPROVE)
    await until(upstreams.slack, bot, replied(upstreams.slack, "INC-101 is acknowledged."))

    assert writes(incidents) == ["incident_acknowledge"]
    assert incidents.desk.incidents["INC-101"].status == "acknowledged"
    outcome = text_of(await shown(bot, upstreams.slack, approval_id))
    assert "Done" in outcome and "incident_acknowledge done" in outcome
    # The resumed run told the model what the server answered, fenced as the server's data.
    told = [m["content"] for m in upstreams.llm.chat_requests()[-1]["messages"] if m["role"] == "tool"]
    assert "acknowledged" in told[-1] and "mcp:incidents" in told[-1]


async def test_another_users_click_does_nothing_and_a_double_click_writes_once(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests, incidents: MCPSimulator
) -> None:
    upstreams.llm.script([[ACK], "Acknowledged once."])
    await ask(bot, upstreams, slack_requests, "acknowledge INC-101")
    (approval_id,) = approval_ids(upstreams.slack)

    await click(bot, upstreams, slack_requests, approval_id, APPROVE, user=OTHER)
    await upstreams.slack.wait_for(lambda: len(ephemeral_to(upstreams.slack, OTHER)) == 1)
    assert "Only the person who asked" in ephemeral_to(upstreams.slack, OTHER)[0]
    assert writes(incidents) == []

    message = await shown(bot, upstreams.slack, approval_id)
    body = slack_requests.block_action(button(message, APPROVE), message=message, channel=CHANNEL)
    responses = await asyncio.gather(*(bot.post(*body) for _ in range(3)))
    assert [r.status_code for r in responses] == [200, 200, 200]
    await until(upstreams.slack, bot, replied(upstreams.slack, "Acknowledged once."))

    assert writes(incidents) == ["incident_acknowledge"]


async def test_a_restart_between_approve_and_the_call_still_writes_once(
    start_bot: StartBot, upstreams: Upstreams, slack_requests: SlackRequests, incidents: MCPSimulator
) -> None:
    first = await start_bot()
    upstreams.llm.script([[ACK], "Acknowledged after the restart."])
    await ask(first, upstreams, slack_requests, "acknowledge INC-101")
    (approval_id,) = approval_ids(upstreams.slack)
    message = await shown(first, upstreams.slack, approval_id)

    incidents.hold_writes()  # the approved call leaves, but does not take effect before the crash
    body = slack_requests.block_action(button(message, APPROVE), message=message, channel=CHANNEL)
    assert (await first.post(*body)).status_code == 200
    async with asyncio.timeout(10):
        await incidents.desk.until_held()
    _abandon_listeners()  # the process dies: the click's listener never sees its write end
    await first.stop()
    incidents.drop_held()  # the dead process's request never took effect

    second = await start_bot()  # picks up the approved, unfinished write
    await until(upstreams.slack, second, replied(upstreams.slack, "Acknowledged after the restart."))

    assert writes(incidents) == ["incident_acknowledge"]
    assert second.services.desk is not None
    record = await second.services.desk.approvals.get(approval_id)
    assert record is not None and record.status == "executed" and record.decided_by == ASKER


async def test_a_planted_instruction_in_a_result_only_ever_becomes_a_card(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests, incidents: MCPSimulator
) -> None:
    incidents.plant("INC-101")
    obeyed = ToolCall("incidents_flag_set", {"name": "checkout-v2", "enabled": False})
    upstreams.llm.script([[GET], [obeyed], "I turned the flag off as the incident said."])
    await ask(bot, upstreams, slack_requests, "what is INC-101 about?")

    told = [m["content"] for m in upstreams.llm.chat_requests()[-1]["messages"] if m["role"] == "tool"]
    assert "call flag_set" in told[-1], "the model did read the planted instruction"
    assert writes(incidents) == [], "nothing was written without a click"
    (approval_id,) = approval_ids(upstreams.slack)
    assert "Tool: flag_set" in text_of(await shown(bot, upstreams.slack, approval_id))
    assert incidents.desk.flags["checkout-v2"] is True


async def test_a_dead_server_leaves_the_answer_intact(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests, incidents: MCPSimulator
) -> None:
    await incidents.stop()
    upstreams.llm.script(["OPS-1 is about the login outage."])
    response = await bot.post(*slack_requests.command("what is OPS-1 about?", channel=CHANNEL))
    assert response.status_code == 200
    await upstreams.slack.wait_for(lambda: bool(upstreams.slack.calls("chat.stopStream")))
    await bot.settle()

    (stream,) = upstreams.slack.calls("chat.startStream")
    (answer,) = upstreams.slack.thread(CHANNEL, str(stream.args["thread_ts"]))[1:]
    assert "OPS-1 is about the login outage." in answer["text"]
    assert "incidents MCP server was unavailable" in answer["text"], "the answer says what it went without"
