"""The delivery ladder (``bot.slack.delivery.ladder``) against the SIMULATED Slack: which rung a
new message opens on, each step down on a refusal, and where the controls (the Stop button) go."""

from __future__ import annotations

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.blocks.stop import ANSWER_STOP, stop_blocks
from bot.slack.delivery.door import SlackDelivery
from bot.slack.delivery.edited import EditedReply
from bot.slack.delivery.ladder import Ladder
from bot.slack.delivery.rendering import plan_chunk
from bot.slack.delivery.response_url import ResponseUrlReply
from bot.slack.delivery.stream import StreamedReply
from bot.store.approvals import Asker
from simulators.slack import SlackSimulator
from tests.bot.slack.delivery.threads import CHANNEL, TEAM, USER, bot_messages, buttons

RUN = "run-ladder"


def ladder_for(client: AsyncWebClient, root: str, *, respond: AsyncRespond | None = None) -> Ladder:
    door = SlackDelivery(client, team=TEAM)
    return Ladder(door, Asker(TEAM, USER, CHANNEL, root), respond=respond, controls=stop_blocks(RUN))


def unpostable(sim: SlackSimulator) -> AsyncRespond:
    for method in ("chat.startStream", "chat.postMessage"):
        sim.refuse(method, "not_in_channel")
    return AsyncRespond(response_url=f"{sim.url}/respond/T0KEN")


async def test_a_message_opens_as_a_stream_for_the_asker_without_the_stop_button(
    sim: SlackSimulator, client: AsyncWebClient, root: str
) -> None:
    ladder = ladder_for(client, root)
    reply = await ladder.open(chunks=[plan_chunk("thinking")], text="Hello")

    assert isinstance(reply, StreamedReply) and ladder.rung == "stream"
    [start] = sim.calls("chat.startStream")
    assert (start.args["recipient_user_id"], start.args["recipient_team_id"]) == (USER, TEAM)
    assert not buttons(start.args, ANSWER_STOP)  # Slack shows its own Stop on a stream
    assert [m["ts"] for m in bot_messages(sim, root)] == [reply.ts]


async def test_a_refused_stream_steps_down_to_a_post_that_carries_the_controls(
    sim: SlackSimulator, client: AsyncWebClient, root: str
) -> None:
    sim.refuse("chat.startStream", "channel_type_not_supported")
    ladder = ladder_for(client, root)
    reply = await ladder.open(text="Hello")

    assert isinstance(reply, EditedReply) and ladder.rung == "post"
    [post] = sim.calls("chat.postMessage")
    assert [button["value"] for button in buttons(post.args, ANSWER_STOP)] == [RUN]
    assert ladder.opening_method == "chat.postMessage"


async def test_a_complete_message_has_no_controls(
    sim: SlackSimulator, client: AsyncWebClient, root: str
) -> None:
    sim.refuse("chat.startStream", "channel_type_not_supported")
    ladder = ladder_for(client, root)
    await ladder.open(text="All of it.", complete=True)

    [post] = sim.calls("chat.postMessage")
    assert not buttons(post.args, ANSWER_STOP) and post.args["markdown_text"] == "All of it."


async def test_without_post_now_a_step_down_to_post_posts_nothing_yet(
    sim: SlackSimulator, client: AsyncWebClient, root: str
) -> None:
    sim.refuse("chat.startStream", "channel_type_not_supported")
    ladder = ladder_for(client, root)

    assert await ladder.open(chunks=[plan_chunk("thinking")], post_now=False) is None
    assert ladder.rung == "post" and sim.calls("chat.postMessage") == []


async def test_where_the_bot_cannot_post_the_response_url_is_the_last_rung(
    sim: SlackSimulator, client: AsyncWebClient, root: str
) -> None:
    ladder = ladder_for(client, root, respond=unpostable(sim))
    reply = await ladder.open(text="Hello")
    await ladder.working()

    assert isinstance(reply, ResponseUrlReply) and ladder.rung == "response_url"
    [working] = sim.response_url_messages("T0KEN")
    assert [button["value"] for button in buttons(working, ANSWER_STOP)] == [RUN]
    counters = SlackDelivery(client, team=TEAM).counters
    assert counters.get("step_down:stream->post:not_in_channel") == 1
    assert counters.get("step_down:post->response_url:not_in_channel") == 1


async def test_without_a_response_url_an_unpostable_thread_ends_on_none(
    sim: SlackSimulator, client: AsyncWebClient, root: str
) -> None:
    unpostable(sim)
    ladder = ladder_for(client, root)

    assert await ladder.open(text="Hello") is None
    assert ladder.rung == "none" and ladder.opening_method is None
    await ladder.working()  # nothing to say it through
    assert sim.calls("response_url") == []


async def test_the_response_urls_last_use_is_known_before_it_is_taken(
    sim: SlackSimulator, client: AsyncWebClient, root: str
) -> None:
    ladder = ladder_for(client, root, respond=unpostable(sim))
    reply = await ladder.open(text="")
    assert isinstance(reply, ResponseUrlReply)
    for _ in range(4):
        assert not ladder.on_last_response
        await reply.close("part")
    assert ladder.on_last_response

    ladder.exhausted()
    assert ladder.rung == "none" and not ladder.on_last_response
