"""A slash command's response_url (``bot.slack.delivery.response_url``) on the SIMULATED Slack."""

from __future__ import annotations

from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.slack.blocks.stop import ANSWER_STOP, stop_blocks
from bot.slack.delivery.reply import EMPTY_MESSAGE, PLACEHOLDER
from bot.slack.delivery.response_url import RESPONSE_URL_USES, ResponseUrl, ResponseUrlReply
from simulators.slack import SlackSimulator
from tests.bot.slack.delivery.threads import buttons


def url(sim: SlackSimulator) -> ResponseUrl:
    return ResponseUrl(AsyncRespond(response_url=f"{sim.url}/respond/T0KEN"))


async def test_five_uses_and_then_no_more(sim: SlackSimulator) -> None:
    response_url = url(sim)
    sent = [await response_url.say(f"part {n}") for n in range(RESPONSE_URL_USES + 1)]

    assert sent == [True] * RESPONSE_URL_USES + [False] and response_url.left == 0
    assert len(sim.calls("response_url")) == RESPONSE_URL_USES


async def test_without_controls_the_working_message_is_private(sim: SlackSimulator) -> None:
    response_url = url(sim)
    await response_url.working()
    await response_url.say("The answer.")

    working, answer = sim.response_url_messages("T0KEN")
    assert (working["text"], working["response_type"]) == (PLACEHOLDER, "ephemeral")
    assert (answer["text"], answer["response_type"]) == ("The answer.", "in_channel")


async def test_with_controls_the_answer_replaces_the_working_message_and_its_button(
    sim: SlackSimulator,
) -> None:
    response_url = url(sim)
    await response_url.working(stop_blocks("r1"))
    [working] = sim.response_url_messages("T0KEN")
    assert working["response_type"] == "in_channel" and buttons(working, ANSWER_STOP)

    reply = ResponseUrlReply(response_url)
    await reply.append("ignored: no live edits")
    await reply.close("")
    [answer] = sim.response_url_messages("T0KEN")
    assert answer["text"] == EMPTY_MESSAGE and not buttons(answer, ANSWER_STOP)
