"""A run's Slack sink chain (``bot.slack.delivery.chain``) on the SIMULATED Slack: what each kind
of run comes with, and the run's id wherever a button needs it, from the run's first message on.

The last two tests build chains the way Slack's listeners do, through the console's real
services (intake, dispatcher, approval desk) against the LLM and Jira simulators.
"""

from __future__ import annotations

import re

from slack_sdk.web.async_client import AsyncWebClient

from bot.events import Finished, Interrupted, TextDelta, ToolStarted, Usage
from bot.services import Services
from bot.slack.blocks.approvals import APPROVE
from bot.slack.blocks.feedback import ANSWER_DETAILS, FEEDBACK_DOWN, FEEDBACK_UP
from bot.slack.blocks.stop import ANSWER_STOP
from bot.slack.delivery.chain import SlackChain
from bot.store.approvals import Asker
from bot.workflows.intake import Inquiry
from simulators.llm import LLMSimulator
from simulators.slack import SlackSimulator
from tests.bot.slack.delivery.threads import CHANNEL, TEAM, USER, bot_messages, buttons
from tests.manual_clock import until

RUN = "run-chain-7"
FOOTER = re.compile(r"\n\n_[^\n]+ · [\d,]+ tokens · \d+\.\d s_$")


def feedback_values(message: dict[str, object]) -> list[str]:
    return [
        str(button["value"])
        for action in (FEEDBACK_UP, FEEDBACK_DOWN, ANSWER_DETAILS)
        for button in buttons(message, action)  # type: ignore[arg-type]
    ]


async def test_a_chain_without_extras_renders_the_answer_alone(
    sim: SlackSimulator, client: AsyncWebClient, root: str
) -> None:
    sink = SlackChain(client, Asker(TEAM, USER, CHANNEL, root))(RUN)
    await sink.emit(TextDelta("OPS-2 is blocked."))
    await sink.emit(Finished("OPS-2 is blocked."))

    [answer] = bot_messages(sim, root)
    assert answer["text"] == "OPS-2 is blocked."
    assert not [call for call in sim.calls() if "blocks" in call.args]


async def test_an_answer_gets_its_footer_and_then_the_feedback_buttons_of_its_run(
    sim: SlackSimulator, client: AsyncWebClient, root: str
) -> None:
    sink = SlackChain(client, Asker(TEAM, USER, CHANNEL, root), footer=True, feedback=True)(RUN)
    await sink.emit(ToolStarted("c1", "jira_get_issue", "Jira: get OPS-2"))
    await sink.emit(TextDelta("OPS-2 is blocked."))
    await sink.emit(Finished("OPS-2 is blocked.", Usage(input_tokens=10, output_tokens=2)))

    answer, feedback = bot_messages(sim, root)
    assert FOOTER.search(answer["text"]) and "jira_get_issue · 12 tokens" in answer["text"]
    assert feedback_values(feedback) == [RUN, RUN, RUN]


async def test_below_the_stream_the_stop_button_names_the_run_from_the_first_message_on(
    sim: SlackSimulator, client: AsyncWebClient, root: str
) -> None:
    sim.refuse("chat.startStream", "channel_type_not_supported")
    stopped: list[str] = []
    sink = SlackChain(client, Asker(TEAM, USER, CHANNEL, root), stop=stopped.append)(RUN)
    await sink.emit(TextDelta("Checking the payments service."))
    await sim.wait_for(lambda: bool(sim.calls("chat.postMessage")))

    [first] = sim.calls("chat.postMessage")
    assert [button["value"] for button in buttons(first.args, ANSWER_STOP)] == [RUN]
    await sink.emit(Finished("Checking the payments service."))
    [answer] = bot_messages(sim, root)
    assert not buttons(answer, ANSWER_STOP) and stopped == []


async def test_slacks_own_stop_on_the_stream_stops_that_run(
    sim: SlackSimulator, client: AsyncWebClient, root: str
) -> None:
    stopped: list[str] = []
    sink = SlackChain(client, Asker(TEAM, USER, CHANNEL, root), stop=stopped.append)(RUN)
    await sink.emit(TextDelta("Before the stop, "))
    await sim.wait_for(lambda: bool(bot_messages(sim, root)))
    sim.stop_by_user(CHANNEL, str(bot_messages(sim, root)[0]["ts"]))

    await sink.emit(TextDelta("after it."))
    await until(lambda: stopped == [RUN])
    await sink.emit(Interrupted("stopped"))
    assert stopped == [RUN]  # once, however many writes Slack refuses


async def test_intake_builds_the_chain_with_the_id_of_the_run_it_stored(
    sim: SlackSimulator, client: AsyncWebClient, root: str, services: Services
) -> None:
    sim.refuse("chat.startStream", "channel_type_not_supported")  # posted and edited: a Stop button
    inquiry = Inquiry(TEAM, CHANNEL, root, USER, "why is OPS-2 blocked?", "mention")
    chain = SlackChain(client, inquiry.asker, footer=True, feedback=True, stop=services.intake.stop)

    run_id = await services.intake.accept(inquiry, chain)
    await services.dispatcher.wait_idle()

    first = sim.calls("chat.postMessage")[0]
    assert [button["value"] for button in buttons(first.args, ANSWER_STOP)] == [run_id]
    answer, feedback = bot_messages(sim, root)
    assert FOOTER.search(answer["text"]) and not buttons(answer, ANSWER_STOP)
    assert feedback_values(feedback) == [run_id] * 3


async def test_a_workflows_proposed_writes_are_posted_below_its_answer(
    sim: SlackSimulator, client: AsyncWebClient, root: str, services: Services, llm: LLMSimulator
) -> None:
    assert services.workflows is not None and services.desk is not None
    asker = Asker(TEAM, USER, CHANNEL, root)

    await services.workflows.drafted.triage(asker, "OPS-6", SlackChain(client, asker, desk=services.desk))
    await services.dispatcher.wait_idle()

    answer, *proposals = bot_messages(sim, root)
    assert answer["text"].startswith("*Triage of OPS-6*") and not FOOTER.search(answer["text"])
    assert len(proposals) == 2 and not any(feedback_values(message) for message in proposals)
    for message in proposals:
        [approve] = buttons(message, APPROVE)
        record = await services.desk.approvals.get(str(approve["value"]))
        assert record is not None and record.message_ts == message["ts"]
