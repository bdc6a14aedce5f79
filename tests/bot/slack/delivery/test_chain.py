"""A run's Slack sink chain (``bot.slack.delivery.chain``) on the SIMULATED Slack: what each kind
of run comes with, and the run's id wherever a button needs it, from the run's first message on.

``SlackSinks`` rebuilds the chain from a run's ``Origin`` alone (what a resumed run carries) and
retires the message an interrupted attempt left. The last tests build chains the way Slack's
edge does, through real services (intake, durable runs, approval desk) against the LLM and Jira
simulators.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.events import ApprovalRequested, Finished, Interrupted, TextDelta, ToolStarted, Usage
from bot.ports import Origin
from bot.services import Services
from bot.slack.blocks.approvals import APPROVE
from bot.slack.blocks.feedback import feedback_blocks
from bot.slack.blocks.stop import ANSWER_STOP
from bot.slack.delivery.chain import SlackChain, SlackSinks
from bot.store.approvals import Asker
from bot.store.store import Store
from bot.workflows.intake import Inquiry
from simulators.llm import LLMSimulator
from simulators.slack import SlackSimulator
from tests.bot.slack.delivery.threads import CHANNEL, TEAM, USER, bot_messages, buttons, feedback_values
from tests.manual_clock import until

RUN = "run-chain-7"
FOOTER = re.compile(r"\n\n_[^\n]+ · [\d,]+ tokens · \d+\.\d s_$")


def controls_of(run_id: str) -> list[str]:
    """What the feedback controls under an answer of ``run_id`` carry: 👍, 👎, Details."""
    return [f"up:{run_id}", f"down:{run_id}", run_id]


def origin(root: str, **flags: bool | str | None) -> Origin:
    """Where a run in the question's thread answers: the asker's, with ``flags`` (footer, stop …)."""
    return replace(Origin("slack", TEAM, CHANNEL, root, USER), **flags)


async def stored_run(store: Store, root: str) -> str:
    conversation = await store.open_conversation(TEAM, CHANNEL, root)
    return await store.create_run(conversation, trigger="mention", user_id=USER)


async def test_a_chain_without_extras_renders_the_answer_alone(
    sim: SlackSimulator, client: AsyncWebClient, root: str
) -> None:
    sink = SlackChain(client, Asker(TEAM, USER, CHANNEL, root))(RUN)
    await sink.emit(TextDelta("OPS-2 is blocked."))
    await sink.emit(Finished("OPS-2 is blocked."))

    [answer] = bot_messages(sim, root)
    assert answer["text"] == "OPS-2 is blocked."
    assert not [call for call in sim.calls() if "blocks" in call.args]


async def test_an_answer_ends_with_its_footer_and_the_feedback_controls_of_its_run_in_one_message(
    sim: SlackSimulator, client: AsyncWebClient, root: str
) -> None:
    sink = SlackChain(client, Asker(TEAM, USER, CHANNEL, root), footer=True, feedback=True)(RUN)
    await sink.emit(ToolStarted("c1", "jira_get_issue", "Jira: get OPS-2"))
    await sink.emit(TextDelta("OPS-2 is blocked."))
    await sink.emit(Finished("OPS-2 is blocked.", Usage(input_tokens=10, output_tokens=2, tool_calls=1)))

    [answer] = bot_messages(sim, root)
    assert FOOTER.search(answer["text"]) and "1 tool call (jira_get_issue) · 12 tokens" in answer["text"]
    assert answer["blocks"] == feedback_blocks(RUN)  # under the streamed text, from its stop
    assert feedback_values(answer) == controls_of(RUN)


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


# -- SlackSinks: the chain rebuilt from a run's origin ---------------------------------------------


async def test_a_plain_origin_gets_the_answer_alone_and_its_first_message_is_stored_with_the_run(
    sim: SlackSimulator, client: AsyncWebClient, root: str, store: Store
) -> None:
    run_id = await stored_run(store, root)
    sink = SlackSinks(client, store, stop=lambda _run_id: None).sinks(origin(root))(run_id)
    await sink.emit(TextDelta("OPS-2 is blocked."))
    await sink.emit(Finished("OPS-2 is blocked.", Usage(input_tokens=10, output_tokens=2)))

    [answer] = bot_messages(sim, root)
    assert answer["text"] == "OPS-2 is blocked."
    assert not [call for call in sim.calls() if "blocks" in call.args]  # no buttons, no controls
    run = await store.get_run(run_id)
    assert run is not None and run.reply_ts == answer["ts"]  # what a resumed run would retire


async def test_an_answer_whose_message_cannot_be_recorded_is_still_shown_whole(
    sim: SlackSimulator, client: AsyncWebClient, root: str, store: Store
) -> None:
    sink = SlackSinks(client, store).sinks(origin(root))("run-the-store-does-not-know")
    await sink.emit(TextDelta("OPS-2 is "))
    await sink.emit(TextDelta("blocked."))
    await sink.emit(Finished("OPS-2 is blocked."))

    [answer] = bot_messages(sim, root)
    assert (answer["text"], answer["state"]) == ("OPS-2 is blocked.", "stopped")


async def test_the_origins_footer_and_feedback_flags_bring_them_for_that_run(
    sim: SlackSimulator, client: AsyncWebClient, root: str, store: Store
) -> None:
    run_id = await stored_run(store, root)
    sink = SlackSinks(client, store).sinks(origin(root, footer=True, feedback=True))(run_id)
    await sink.emit(TextDelta("OPS-2 is blocked."))
    await sink.emit(Finished("OPS-2 is blocked.", Usage(input_tokens=10, output_tokens=2)))

    [answer] = bot_messages(sim, root)
    assert FOOTER.search(answer["text"]) and feedback_values(answer) == controls_of(run_id)


@pytest.mark.parametrize("stop", [True, False])
async def test_the_origins_stop_flag_decides_the_stop_button_and_slacks_own_stop(
    sim: SlackSimulator, client: AsyncWebClient, store: Store, stop: bool
) -> None:
    posted_root = sim.post_user_message(CHANNEL, "tell me everything", user=USER)
    streamed_root = sim.post_user_message(CHANNEL, "and again", user=USER)
    posted_run, streamed_run = await stored_run(store, posted_root), await stored_run(store, streamed_root)
    stopped: list[str] = []
    router = SlackSinks(client, store, stop=stopped.append)
    sim.refuse("chat.startStream", "channel_type_not_supported")  # the first run is posted: a button
    posted = router.sinks(origin(posted_root, stop=stop))(posted_run)
    await posted.emit(TextDelta("Checking."))
    await sim.wait_for(lambda: bool(sim.calls("chat.postMessage")))
    [first] = sim.calls("chat.postMessage")
    assert [button["value"] for button in buttons(first.args, ANSWER_STOP)] == ([posted_run] if stop else [])
    await posted.emit(Finished("Checking."))

    streamed = router.sinks(origin(streamed_root, stop=stop))(streamed_run)
    await streamed.emit(TextDelta("Before the stop, "))
    await sim.wait_for(lambda: bool(bot_messages(sim, streamed_root)))
    sim.stop_by_user(CHANNEL, str(bot_messages(sim, streamed_root)[0]["ts"]))
    await streamed.emit(TextDelta("after it."))
    await streamed.emit(Interrupted("stopped"))
    assert stopped == ([streamed_run] if stop else [])


@pytest.mark.parametrize("response_url", [True, False])
async def test_the_origins_response_url_is_the_last_rung(
    sim: SlackSimulator, client: AsyncWebClient, root: str, store: Store, response_url: bool
) -> None:
    for method in ("assistant.threads.setStatus", "chat.startStream", "chat.postMessage"):
        sim.refuse(method, "not_in_channel")  # only the slash command's response_url is left
    url = f"{sim.url}/respond/T0KEN" if response_url else None
    run_id = await stored_run(store, root)
    sink = SlackSinks(client, store).sinks(origin(root, response_url=url))(run_id)
    await sink.emit(TextDelta("The answer."))
    await sink.emit(Finished("The answer."))

    shown = sim.response_url_messages("T0KEN")
    answers = [message["text"] for message in shown if message["response_type"] == "in_channel"]
    assert answers == (["The answer."] if response_url else [])
    assert bot_messages(sim, root) == []


@pytest.mark.parametrize("desk", [True, False])
async def test_the_origins_desk_flag_posts_proposed_writes_below_the_answer(
    sim: SlackSimulator, client: AsyncWebClient, root: str, services: Services, desk: bool
) -> None:
    router = SlackSinks(client, services.store, services.desk)
    sink = router.sinks(origin(root, desk=desk))(await stored_run(services.store, root))
    await sink.emit(ApprovalRequested("approval-1", "jira_create_issue", "Create OPS-9", USER))
    await sink.emit(Finished("I propose one issue."))

    answer, *proposals = bot_messages(sim, root)
    assert answer["text"] == "I propose one issue."
    approvals = [str(button["value"]) for message in proposals for button in buttons(message, APPROVE)]
    assert approvals == (["approval-1"] if desk else [])


async def test_retiring_deletes_the_message_an_interrupted_attempt_left(
    sim: SlackSimulator, client: AsyncWebClient, root: str, store: Store
) -> None:
    run_id = await stored_run(store, root)
    half = await client.chat_startStream(
        channel=CHANNEL,
        thread_ts=root,
        markdown_text="Half an ans",
        recipient_user_id=USER,
        recipient_team_id=TEAM,
    )
    await store.set_reply_ts(run_id, str(half["ts"]))  # as the attempt's sink did before the crash
    router = SlackSinks(client, store)

    await router.retire(origin(root), run_id)
    sink = router.sinks(origin(root))(run_id)  # the resumed attempt answers anew
    await sink.emit(TextDelta("The whole answer."))
    await sink.emit(Finished("The whole answer."))

    [delete] = sim.calls("chat.delete")
    assert (delete.args["channel"], delete.args["ts"], delete.ok) == (CHANNEL, half["ts"], True)
    assert [message["text"] for message in bot_messages(sim, root)] == ["The whole answer."]


async def test_retiring_a_run_that_showed_nothing_deletes_nothing(
    sim: SlackSimulator, client: AsyncWebClient, root: str, store: Store
) -> None:
    run_id = await stored_run(store, root)
    router = SlackSinks(client, store)

    await router.retire(origin(root), run_id)
    await router.retire(origin(root), "no-such-run")

    assert sim.calls("chat.delete") == []


async def test_retiring_a_message_already_gone_is_not_an_error(
    sim: SlackSimulator, client: AsyncWebClient, root: str, store: Store
) -> None:
    run_id = await stored_run(store, root)
    await store.set_reply_ts(run_id, "1700000099.000100")  # deleted by hand meanwhile, say

    await SlackSinks(client, store).retire(origin(root), run_id)

    [delete] = sim.calls("chat.delete")
    assert delete.error == "message_not_found"


# -- chains built by the real services -------------------------------------------------------------


async def test_intake_builds_the_chain_with_the_id_of_the_run_it_stored(
    sim: SlackSimulator, client: AsyncWebClient, root: str, services: Services
) -> None:
    sim.refuse("chat.startStream", "channel_type_not_supported")  # posted and edited: a Stop button
    services.runs.route("slack", SlackSinks(client, services.store, services.desk, services.intake.stop_here))
    inquiry = Inquiry(TEAM, CHANNEL, root, USER, "why is OPS-2 blocked?", "mention")

    run_id = await services.intake.accept(inquiry, origin(root, footer=True, feedback=True, stop=True))
    await services.runs.wait_idle()

    first = sim.calls("chat.postMessage")[0]
    assert [button["value"] for button in buttons(first.args, ANSWER_STOP)] == [run_id]
    [answer] = bot_messages(sim, root)
    assert FOOTER.search(answer["text"]) and not buttons(answer, ANSWER_STOP)
    assert answer["blocks"][1:] == feedback_blocks(run_id)  # the Stop button made way for them
    assert feedback_values(answer) == controls_of(run_id)


async def test_a_workflows_proposed_writes_are_posted_below_its_answer(
    sim: SlackSimulator, client: AsyncWebClient, root: str, services: Services, llm: LLMSimulator
) -> None:
    assert services.workflows is not None and services.desk is not None
    services.runs.route("slack", SlackSinks(client, services.store, services.desk))
    asker = Asker(TEAM, USER, CHANNEL, root)

    await services.workflows.drafted.triage(asker, "OPS-6", origin(root, desk=True))
    await services.runs.wait_idle()

    answer, *proposals = bot_messages(sim, root)
    assert answer["text"].startswith("*Triage of OPS-6*") and not FOOTER.search(answer["text"])
    assert len(proposals) == 2 and not any(feedback_values(message) for message in proposals)
    for message in proposals:
        [approve] = buttons(message, APPROVE)
        record = await services.desk.approvals.get(str(approve["value"]))
        assert record is not None and record.message_ts == message["ts"]
