"""A natively streamed reply (``bot.slack.delivery.stream``) against the SIMULATED Slack."""

from __future__ import annotations

from slack_sdk.models.messages.chunk import TaskUpdateChunk
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.blocks.feedback import feedback_blocks
from bot.slack.delivery.door import SlackDelivery
from bot.slack.delivery.rendering import plan_chunk
from bot.slack.delivery.stream import StreamedReply
from simulators.slack import SlackSimulator
from tests.bot.slack.delivery.threads import CHANNEL, TEAM, USER, bot_messages


async def started(door: SlackDelivery, root: str, text: str = "") -> StreamedReply:
    return await StreamedReply.start(
        door,
        channel=CHANNEL,
        thread_ts=root,
        recipient_user_id=USER,
        recipient_team_id=TEAM,
        chunks=[plan_chunk("thinking")],
        text=text,
    )


async def test_a_stream_grows_shows_tasks_and_ends_showing_exactly_the_answer(
    sim: SlackSimulator, client: AsyncWebClient, root: str
) -> None:
    door = SlackDelivery(client, team=TEAM)
    reply = await started(door, root, "OPS-2 ")
    assert door.promised("chat.stopStream") == 1  # its stop is owed from the start

    await reply.append("is blocked")
    await reply.task(TaskUpdateChunk(id="c1", title="Jira: get OPS-2", status="complete"))
    await reply.close("OPS-2 is blocked.")

    [message] = bot_messages(sim, root)
    assert (message["text"], message["state"]) == ("OPS-2 is blocked.", "stopped")
    assert sim.calls("chat.stopStream")[0].args["chunks"] == [{"type": "markdown_text", "text": "."}]
    assert door.promised("chat.stopStream") == 0 and sim.calls("chat.update") == []


async def test_text_slack_refused_is_owed_and_goes_with_the_next_call(
    sim: SlackSimulator, client: AsyncWebClient, root: str
) -> None:
    reply = await started(SlackDelivery(client, team=TEAM), root)
    sim.refuse("chat.appendStream", "internal_error")
    await reply.append("one ")
    await reply.append("two")

    assert [call.ok for call in sim.calls("chat.appendStream")] == [False, True]
    assert sim.calls("chat.appendStream")[-1].args["chunks"] == [{"type": "markdown_text", "text": "one two"}]
    await reply.close("one two")
    assert bot_messages(sim, root)[0]["text"] == "one two"


async def test_after_the_users_stop_the_message_is_finished_with_an_update(
    sim: SlackSimulator, client: AsyncWebClient, root: str
) -> None:
    reply = await started(SlackDelivery(client, team=TEAM), root, "before ")
    assert reply.ts is not None
    sim.stop_by_user(CHANNEL, reply.ts)
    await reply.append("after")

    assert reply.stopped_by_user and reply.write_method == "chat.update"
    await reply.close("before after, stopped")
    assert bot_messages(sim, root)[0]["text"] == "before after, stopped"
    assert sim.calls("chat.update")[-1].args["markdown_text"] == "before after, stopped"


async def test_the_stop_carries_the_closing_blocks_under_the_streamed_text(
    sim: SlackSimulator, client: AsyncWebClient, root: str
) -> None:
    reply = await started(SlackDelivery(client, team=TEAM), root, "Done.")
    await reply.close("Done.", feedback_blocks("r1"))

    [message] = bot_messages(sim, root)
    assert (message["text"], message["blocks"]) == ("Done.", feedback_blocks("r1"))
    assert sim.calls("chat.stopStream")[0].args["blocks"] == feedback_blocks("r1")
    assert sim.calls("chat.update") == []
