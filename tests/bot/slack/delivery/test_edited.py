"""A posted-and-edited reply (``bot.slack.delivery.edited``) against the SIMULATED Slack."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.blocks.feedback import feedback_blocks
from bot.slack.blocks.stop import ANSWER_STOP, stop_blocks
from bot.slack.delivery.door import SlackDelivery
from bot.slack.delivery.edited import EditedReply
from bot.slack.delivery.reply import PLACEHOLDER
from simulators.slack import SlackSimulator
from tests.bot.slack.delivery.threads import CHANNEL, TEAM, bot_messages, buttons, feedback_values


async def test_a_message_with_controls_keeps_them_while_it_grows_and_drops_them_at_the_end(
    sim: SlackSimulator, client: AsyncWebClient, root: str
) -> None:
    door = SlackDelivery(client, team=TEAM)
    reply = await EditedReply.start(
        door, channel=CHANNEL, thread_ts=root, text="", controls=stop_blocks("r1")
    )
    assert door.promised("chat.update") == 1  # its final update is owed from the start
    [message] = bot_messages(sim, root)
    assert message["text"] == PLACEHOLDER and buttons(message, ANSWER_STOP)

    await reply.append("Checking.")
    [message] = bot_messages(sim, root)
    assert message["blocks"][0] == {"type": "markdown", "text": "Checking."} and buttons(message, ANSWER_STOP)

    await reply.close("Checking.")  # same text, but the button must go
    [message] = bot_messages(sim, root)
    assert message["blocks"] == [{"type": "markdown", "text": "Checking."}]
    assert door.promised("chat.update") == 0


async def test_text_of_a_refused_update_goes_with_the_next_one(
    sim: SlackSimulator, client: AsyncWebClient, root: str
) -> None:
    reply = await EditedReply.start(
        SlackDelivery(client, team=TEAM), channel=CHANNEL, thread_ts=root, text="a"
    )
    sim.refuse("chat.update", "internal_error")
    await reply.append("b")
    await reply.append("c")

    assert bot_messages(sim, root)[0]["text"] == "abc"
    await reply.close("abc")
    assert len(sim.calls("chat.update")) == 2  # the final write changes nothing: not sent


async def test_the_final_update_swaps_the_controls_for_the_closing_blocks(
    sim: SlackSimulator, client: AsyncWebClient, root: str
) -> None:
    reply = await EditedReply.start(
        SlackDelivery(client, team=TEAM),
        channel=CHANNEL,
        thread_ts=root,
        text="Done.",
        controls=stop_blocks("r1"),
    )
    await reply.close("Done.", feedback_blocks("r1"))

    [message] = bot_messages(sim, root)
    assert message["blocks"] == [{"type": "markdown", "text": "Done."}, *feedback_blocks("r1")]
    assert not buttons(message, ANSWER_STOP) and feedback_values(message) == ["up:r1", "down:r1", "r1"]


async def test_a_message_posted_whole_with_its_closing_blocks_needs_no_update(
    sim: SlackSimulator, client: AsyncWebClient, root: str
) -> None:
    door = SlackDelivery(client, team=TEAM)
    reply = await EditedReply.start(
        door, channel=CHANNEL, thread_ts=root, text="Done.", controls=feedback_blocks("r1")
    )
    await reply.close("Done.", feedback_blocks("r1"))

    assert sim.calls("chat.update") == [] and door.promised("chat.update") == 0
    [message] = bot_messages(sim, root)
    assert message["blocks"] == [{"type": "markdown", "text": "Done."}, *feedback_blocks("r1")]
