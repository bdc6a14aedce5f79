"""SlackThreadSink against the SIMULATED Slack Web API, through the real slack_sdk client
(``sim``, ``client`` and the question ``root`` come from this folder's conftest)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any

import pytest
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.events import Failed, Finished, Interrupted, StatusChanged, TextDelta, ToolFinished, ToolStarted
from bot.runs.durable import STOPPED
from bot.slack.blocks.feedback import feedback_blocks
from bot.slack.blocks.stop import ANSWER_STOP, stop_blocks
from bot.slack.delivery.budget import SlackBudget
from bot.slack.delivery.client import build_web_client
from bot.slack.delivery.coalescer import Pacing
from bot.slack.delivery.door import SlackDelivery
from bot.slack.delivery.edited import EditedReply
from bot.slack.delivery.response_url import TOO_LONG_FOR_RESPONSE_URL
from bot.slack.delivery.sink import MESSAGE_LIMIT, SinkOptions, SlackThreadSink
from bot.slack.delivery.tiers import Limit
from bot.store.approvals import Asker
from bot.text.render import escape
from simulators.slack import RecordedCall, SlackSimulator
from tests.bot.slack.delivery.threads import TOKEN, feedback_values
from tests.manual_clock import until
from tests.slack_budgets import UNLIMITED

CHANNEL = "C0CHANNEL"
DM = "D0DIRECT"
USER = "U0ASKER"
TEAM = "T0TEAM"

SinkFactory = Callable[..., SlackThreadSink]


@pytest.fixture
def make_sink(client: AsyncWebClient, root: str) -> SinkFactory:
    def make(
        *,
        recipient: str = USER,
        respond: AsyncRespond | None = None,
        stop_run: str | None = None,
        message_limit: int = MESSAGE_LIMIT,
        on_reply: Callable[[str], Awaitable[None]] | None = None,
        closing: Sequence[dict[str, Any]] = (),
    ) -> SlackThreadSink:
        options = SinkOptions(
            respond=respond,
            controls=stop_blocks(stop_run) if stop_run else (),
            closing=closing,
            on_reply=on_reply,
            pacing=Pacing(flush_interval=0.01, update_interval=0.01),
            message_limit=message_limit,
        )
        return SlackThreadSink(
            SlackDelivery(client, team=TEAM), Asker(TEAM, recipient, CHANNEL, root), options
        )

    return make


def bot_messages(sim: SlackSimulator, channel: str, root: str) -> list[dict[str, Any]]:
    return [message for message in sim.thread(channel, root) if message["bot_id"]]


def bot_text(sim: SlackSimulator, channel: str = CHANNEL, root: str = "") -> str:
    return "".join(message["text"] for message in bot_messages(sim, channel, root))


def appended_markdown(call: RecordedCall) -> str:
    chunks = call.args.get("chunks") or []
    return str(call.args.get("markdown_text") or "") + "".join(
        chunk["text"] for chunk in chunks if chunk["type"] == "markdown_text"
    )


def strings_in(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


async def stream_deltas(sink: SlackThreadSink, sim: SlackSimulator, root: str, deltas: list[str]) -> None:
    """Emit deltas one by one, each time until Slack shows it: the reader sees the answer grow."""
    shown = bot_text(sim, CHANNEL, root)
    for delta in deltas:
        await sink.emit(TextDelta(delta))
        shown += escape(delta)
        expected = shown
        await sim.wait_for(lambda expected=expected: bot_text(sim, CHANNEL, root) == expected)  # type: ignore[misc]


async def test_answer_streams_in_several_appends_with_recipients(
    sim: SlackSimulator, root: str, make_sink: SinkFactory
) -> None:
    sink = make_sink()
    deltas = ["OPS-2 is ", "blocked by ", "PR #41, ", "which waits for review."]
    await stream_deltas(sink, sim, root, deltas)
    await sink.emit(Finished("".join(deltas)))

    [start] = sim.calls("chat.startStream")
    assert (start.args["recipient_user_id"], start.args["recipient_team_id"]) == (USER, TEAM)
    assert start.args["thread_ts"] == root
    text_appends = [call for call in sim.calls("chat.appendStream") if appended_markdown(call)]
    assert len(text_appends) >= len(deltas)
    [reply] = bot_messages(sim, CHANNEL, root)
    assert reply["text"] == "".join(deltas)
    assert reply["state"] == "stopped"
    assert sink.reply_ts == reply["ts"]
    assert appended_markdown(sim.calls("chat.stopStream")[0]) == ""  # stop never resends the text


async def test_text_shows_while_llm_pauses(sim: SlackSimulator, root: str, make_sink: SinkFactory) -> None:
    sink = make_sink()
    await sink.emit(TextDelta("first thought"))
    await sim.wait_for(lambda: bot_text(sim, CHANNEL, root) == "first thought")
    assert sim.calls("chat.stopStream") == []
    await sink.emit(Finished("first thought"))


async def test_tool_steps_become_task_chunks(sim: SlackSimulator, root: str, make_sink: SinkFactory) -> None:
    sink = make_sink()
    await sink.emit(StatusChanged("thinking"))
    await sink.emit(TextDelta("Looking it up. "))
    await sink.emit(ToolStarted("call-1", "jira_get_issue", "Jira: get OPS-2"))
    await sink.emit(ToolStarted("call-2", "github_get_pull_request", "GitHub: acme/api#41"))
    await sink.emit(ToolFinished("call-1", "jira_get_issue", True, "OPS-2: Blocked"))
    await sink.emit(ToolFinished("call-2", "github_get_pull_request", False, "GitHub is unavailable"))
    await sink.emit(TextDelta("Done."))
    await sink.emit(Finished("Looking it up. Done."))

    [reply] = bot_messages(sim, CHANNEL, root)
    assert reply["text"] == "Looking it up. Done."
    assert reply["plan_title"] == "Thinking"
    statuses = {task["id"]: (task["title"], task["status"]) for task in reply["tasks"]}
    assert statuses == {
        "call-1": ("OPS-2: Blocked", "complete"),
        "call-2": ("GitHub is unavailable", "error"),
    }
    sent = [chunk for call in sim.calls() for chunk in call.args.get("chunks", [])]
    kinds = [(chunk["type"], chunk.get("status")) for chunk in sent if chunk["type"] != "plan_update"]
    started = ("task_update", "in_progress")
    assert kinds[:3] == [("markdown_text", None), started, started]
    assert sim.status(CHANNEL, root) == "is thinking…"
    assert len(sim.calls("assistant.threads.setStatus")) == 1


async def test_rate_limited_append_is_waited_out_and_text_arrives_once(
    sim: SlackSimulator, root: str, make_sink: SinkFactory
) -> None:
    sink = make_sink()
    await stream_deltas(sink, sim, root, ["one, "])
    sim.rate_limit("chat.appendStream", times=1, retry_after=0)
    await stream_deltas(sink, sim, root, ["two, ", "three."])
    await sink.emit(Finished("one, two, three."))

    statuses = [call.status for call in sim.calls("chat.appendStream")]
    assert 429 in statuses and statuses[-1] == 200
    assert bot_text(sim, CHANNEL, root) == "one, two, three."
    assert sim.calls("chat.update") == []


async def test_refused_append_text_goes_with_the_next_call(
    sim: SlackSimulator, root: str, make_sink: SinkFactory
) -> None:
    sink = make_sink()
    await stream_deltas(sink, sim, root, ["kept "])
    sim.refuse("chat.appendStream", "messaging_processing_failed")
    await sink.emit(TextDelta("despite "))
    await sim.wait_for(lambda: any(not call.ok for call in sim.calls("chat.appendStream")))
    await sink.emit(TextDelta("errors"))
    await sink.emit(Finished("kept despite errors"))

    [reply] = bot_messages(sim, CHANNEL, root)
    assert reply["text"] == "kept despite errors"
    assert sim.calls("chat.update") == []  # no rewrite needed: the refused text went with a later call


async def test_stream_expiry_mid_answer_ends_in_an_update_with_the_full_text(
    sim: SlackSimulator, root: str, make_sink: SinkFactory
) -> None:
    sink = make_sink()
    await stream_deltas(sink, sim, root, ["before expiry, "])
    sim.expire_streams()
    await sink.emit(TextDelta("after expiry."))
    await sink.emit(Finished("before expiry, after expiry."))

    [reply] = bot_messages(sim, CHANNEL, root)
    assert reply["text"] == "before expiry, after expiry."
    [update] = sim.calls("chat.update")
    assert update.args["ts"] == reply["ts"] == sink.reply_ts
    assert update.args["markdown_text"] == "before expiry, after expiry."


@pytest.mark.parametrize(
    ("refusal", "recipient"),
    [(None, None), ("channel_type_not_supported", USER), ("not_allowed_token_type", USER)],
)
async def test_refused_stream_falls_back_to_post_and_update(
    sim: SlackSimulator, root: str, make_sink: SinkFactory, refusal: str | None, recipient: str | None
) -> None:
    if refusal:
        sim.refuse("chat.startStream", refusal)
    sink = make_sink(recipient=recipient or "")
    deltas = ["Falling ", "back ", "gracefully."]
    await stream_deltas(sink, sim, root, deltas)
    await sink.emit(Finished("".join(deltas)))

    assert [call.ok for call in sim.calls("chat.startStream")] == [False]
    [post] = sim.calls("chat.postMessage")
    assert post.args["thread_ts"] == root
    assert post.args["markdown_text"] == "Falling "  # posted with the first text, not a placeholder
    updates = sim.calls("chat.update")
    assert len(updates) >= len(deltas) - 1
    assert updates[-1].args["markdown_text"] == "Falling back gracefully."
    [reply] = bot_messages(sim, CHANNEL, root)
    assert reply["text"] == "Falling back gracefully." and sink.reply_ts == reply["ts"]


async def test_every_post_and_update_disables_unfurls_and_pings(
    sim: SlackSimulator, root: str, make_sink: SinkFactory
) -> None:
    sink = make_sink(recipient="", message_limit=50)
    await sink.emit(TextDelta("see https://example.com/runbook " * 4))
    await sink.emit(Finished("see https://example.com/runbook " * 4))

    writes = sim.calls("chat.postMessage") + sim.calls("chat.update")
    assert len(sim.calls("chat.postMessage")) >= 2
    for call in writes:
        assert call.args["unfurl_links"] is False and call.args["unfurl_media"] is False
        assert not {"link_names", "parse", "reply_broadcast"} & call.args.keys()


async def test_mentions_split_across_deltas_never_go_out_live(
    sim: SlackSimulator, root: str, make_sink: SinkFactory
) -> None:
    sink = make_sink()
    deltas = ["Hey <", "!channel> and <!he", "re>, ask <@U1", "23> or @", "here or @every", "one & <#C1|ops>"]
    for delta in deltas:
        await sink.emit(TextDelta(delta))
    await sink.emit(Finished("".join(deltas)))

    sent = [text for call in sim.calls() for text in strings_in(call.args)]
    for live in ("<!channel>", "<!here>", "<@U123>", "<#C1", "@here", "@everyone"):
        assert not any(live in text for text in sent), live
    assert bot_text(sim, CHANNEL, root) == escape("".join(deltas))


@pytest.mark.parametrize("channel", [DM, CHANNEL])
@pytest.mark.parametrize("recipient", [USER, None])
async def test_long_answer_continues_in_further_replies(
    sim: SlackSimulator, client: AsyncWebClient, channel: str, recipient: str | None
) -> None:
    root = sim.post_user_message(channel, "tell me everything", user=USER)
    sink = SlackThreadSink(SlackDelivery(client, team=TEAM), Asker(TEAM, recipient or "", channel, root))
    paragraph = "Status of the payments service, in some detail. " * 20 + "\n\n"
    answer = paragraph * 30  # about 29,000 characters
    for start in range(0, len(answer), 997):
        await sink.emit(TextDelta(answer[start : start + 997]))
    await sink.emit(Finished(answer))

    replies = bot_messages(sim, channel, root)
    assert len(replies) == 3
    assert all(len(reply["text"]) <= 12_000 for reply in replies)
    assert all(reply["text"].endswith("\n\n") for reply in replies)
    assert "".join(reply["text"] for reply in replies) == answer
    assert sink.reply_ts == replies[0]["ts"]


class Replies:
    """Records the ts the sink reports for its answer (what a resumed run would retire)."""

    def __init__(self) -> None:
        self.reported: list[str] = []

    async def __call__(self, ts: str) -> None:
        self.reported.append(ts)


@pytest.mark.parametrize("streams", [True, False])
async def test_the_answers_first_message_is_reported_once_however_many_follow(
    sim: SlackSimulator, root: str, make_sink: SinkFactory, streams: bool
) -> None:
    if not streams:
        sim.refuse("chat.startStream", "channel_type_not_supported")  # posted and edited instead
    replies = Replies()
    sink = make_sink(message_limit=100, on_reply=replies)
    paragraph = "A paragraph about the payments service.\n\n"
    await sink.emit(TextDelta(paragraph * 6))
    await sink.emit(Finished(paragraph * 6))

    first, *rest = bot_messages(sim, CHANNEL, root)
    assert len(rest) >= 2 and replies.reported == [first["ts"]] == [sink.reply_ts]


async def test_the_streams_ts_is_reported_before_any_text_is_written(
    sim: SlackSimulator, root: str, make_sink: SinkFactory
) -> None:
    replies = Replies()
    sink = make_sink(on_reply=replies)
    await sink.emit(StatusChanged("thinking"))

    [opened] = bot_messages(sim, CHANNEL, root)
    assert replies.reported == [opened["ts"]] and opened["text"] == ""
    await sink.emit(Finished("done"))
    assert replies.reported == [opened["ts"]]


async def test_an_answer_only_on_the_response_url_has_no_message_to_report(
    sim: SlackSimulator, make_sink: SinkFactory
) -> None:
    replies = Replies()
    sink = make_sink(respond=unpostable(sim), on_reply=replies)
    await sink.emit(StatusChanged("thinking"))
    await sink.emit(Finished("The answer."))

    assert sink.rung == "response_url" and replies.reported == []


@pytest.mark.parametrize(
    ("terminal", "note"),
    [
        (Failed("Jira is unavailable <right now>"), ":warning: Jira is unavailable &lt;right now&gt;"),
        (Interrupted(), ":warning: interrupted before the answer was complete; please ask again"),
    ],
)
async def test_failure_renders_one_terminal_note_after_the_partial_answer(
    sim: SlackSimulator, root: str, make_sink: SinkFactory, terminal: Failed | Interrupted, note: str
) -> None:
    sink = make_sink()
    await stream_deltas(sink, sim, root, ["Partial answer."])
    await sink.emit(terminal)
    await sink.emit(Finished("late"))
    await sink.emit(TextDelta("late"))

    assert bot_text(sim, CHANNEL, root) == f"Partial answer.\n\n{note}"
    assert len(sim.calls("chat.stopStream")) == 1


async def test_failure_before_any_text_shows_only_the_note(
    sim: SlackSimulator, root: str, make_sink: SinkFactory
) -> None:
    sink = make_sink()
    await sink.emit(Failed("no LLM configured"))
    assert bot_text(sim, CHANNEL, root) == ":warning: no LLM configured"


async def test_finished_text_without_deltas_is_rendered(
    sim: SlackSimulator, root: str, make_sink: SinkFactory
) -> None:
    sink = make_sink()
    await sink.emit(Finished("OPS-2 *Blocked* <@U9>"))
    assert bot_text(sim, CHANNEL, root) == escape("OPS-2 *Blocked* <@U9>")


async def test_empty_answer_says_so(sim: SlackSimulator, root: str, make_sink: SinkFactory) -> None:
    sink = make_sink()
    await sink.emit(Finished(""))
    assert bot_text(sim, CHANNEL, root) == "_No answer was produced._"


async def test_aclose_without_terminal_event_marks_the_run_interrupted(
    sim: SlackSimulator, root: str, make_sink: SinkFactory
) -> None:
    sink = make_sink()
    await sink.emit(TextDelta("half"))
    await sink.aclose()
    await sink.aclose()
    assert bot_text(sim, CHANNEL, root).startswith("half\n\n:warning: interrupted")
    assert len(sim.calls("chat.stopStream")) == 1


async def test_a_run_cut_off_without_a_terminal_event_writes_nothing_more(
    sim: SlackSimulator, client: AsyncWebClient, root: str
) -> None:
    # What a shutdown leaves: the run's task cancelled mid-answer, to be resumed elsewhere.
    options = SinkOptions(pacing=Pacing(flush_interval=30.0, update_interval=30.0))
    sink = SlackThreadSink(SlackDelivery(client, team=TEAM), Asker(TEAM, USER, CHANNEL, root), options)

    pending = asyncio.Event()

    async def run() -> None:
        await sink.emit(TextDelta("Half "))  # a message's first write goes at once
        await sim.wait_for(lambda: bot_text(sim, CHANNEL, root) == "Half ")
        await sink.emit(TextDelta("and the rest"))  # pending until the flush interval
        pending.set()
        await asyncio.Event().wait()

    task = asyncio.create_task(run())
    await pending.wait()
    task.cancel()

    await until(lambda: not [t for t in asyncio.all_tasks() if t.get_name().startswith("slack-flush")])
    await sink.emit(Finished("Half and the rest"))
    assert bot_text(sim, CHANNEL, root) == "Half "
    assert [call.method for call in sim.calls() if call.method.startswith("chat.")] == [
        "chat.startStream",
        "chat.appendStream",
    ]


@pytest.mark.parametrize("seed", range(6))
async def test_any_delta_pattern_is_shown_whole_once_within_the_cap(
    sim: SlackSimulator, root: str, make_sink: SinkFactory, seed: int
) -> None:
    rng = random.Random(seed)
    words = ["word ", "line\n", "para.\n\n", "<@U1> ", "@here ", "a&b ", "x" * 30]
    answer = "".join(rng.choice(words) for _ in range(rng.randint(50, 150)))
    sink = make_sink(message_limit=120, recipient=USER if seed % 2 else "")
    position = 0
    while position < len(answer):
        step = rng.randint(1, 40)
        await sink.emit(TextDelta(answer[position : position + step]))
        position += step
        if rng.random() < 0.3:
            await asyncio.sleep(0.02)  # let the flusher run mid-answer
    await sink.emit(Finished(answer))

    replies = bot_messages(sim, CHANNEL, root)
    assert "".join(reply["text"] for reply in replies) == escape(answer)
    assert all(0 < len(reply["text"]) <= 120 for reply in replies)


# -- the Stop button below the stream rung ---------------------------------------------------------

RUN = "run-7f3a"


def stop_buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        element
        for block in message.get("blocks") or []
        if block["type"] == "actions"
        for element in block["elements"]
        if element.get("action_id") == ANSWER_STOP
    ]


def shown_markdown(message: dict[str, Any]) -> str:
    return "".join(block["text"] for block in message.get("blocks") or [] if block["type"] == "markdown")


async def test_on_the_post_rung_the_answer_carries_a_stop_button_until_it_is_finished(
    sim: SlackSimulator, root: str, make_sink: SinkFactory
) -> None:
    sim.refuse("chat.startStream", "channel_type_not_supported")
    sink = make_sink(stop_run=RUN)
    deltas = ["Checking ", "the ", "payments ", "service."]
    await stream_deltas(sink, sim, root, deltas)

    [reply] = bot_messages(sim, CHANNEL, root)
    assert [button["value"] for button in stop_buttons(reply)] == [RUN]
    assert shown_markdown(reply) == reply["text"] == "Checking the payments service."
    writes = sim.calls("chat.postMessage") + sim.calls("chat.update")
    assert all(stop_buttons(call.args) for call in writes)  # interim updates keep the button

    await sink.emit(Finished("".join(deltas)))
    [reply] = bot_messages(sim, CHANNEL, root)
    assert not stop_buttons(reply)
    assert reply["blocks"] == [{"type": "markdown", "text": "Checking the payments service."}]
    assert reply["text"] == "Checking the payments service."  # the notification fallback
    final = sim.calls("chat.update")[-1].args
    assert final["unfurl_links"] is False and final["unfurl_media"] is False


async def test_a_stopped_answer_keeps_its_partial_text_marked_and_loses_the_button(
    sim: SlackSimulator, root: str, make_sink: SinkFactory
) -> None:
    sim.refuse("chat.startStream", "channel_type_not_supported")
    sink = make_sink(stop_run=RUN)
    await stream_deltas(sink, sim, root, ["Half of ", "the answer"])
    await sink.emit(Interrupted(STOPPED))

    [reply] = bot_messages(sim, CHANNEL, root)
    assert shown_markdown(reply) == f"Half of the answer\n\n:warning: {STOPPED}"
    assert not stop_buttons(reply)


async def test_only_the_message_being_written_carries_the_stop_button(
    sim: SlackSimulator, root: str, make_sink: SinkFactory
) -> None:
    sim.refuse("chat.startStream", "channel_type_not_supported")
    sink = make_sink(stop_run=RUN, message_limit=60)
    paragraph = "A paragraph about the payments service.\n\n"  # 41 characters: one per message
    for _ in range(3):
        await sink.emit(TextDelta(paragraph))
    await sim.wait_for(lambda: len(bot_messages(sim, CHANNEL, root)) == 3)
    await sim.wait_for(lambda: bot_text(sim, CHANNEL, root) == paragraph * 3)

    *written, current = bot_messages(sim, CHANNEL, root)
    assert [stop_buttons(message) for message in written] == [[], []]
    assert [button["value"] for button in stop_buttons(current)] == [RUN]

    await sink.emit(Finished(paragraph * 3))
    assert not any(stop_buttons(message) for message in bot_messages(sim, CHANNEL, root))
    assert bot_text(sim, CHANNEL, root) == paragraph * 3


async def test_without_controls_there_is_no_button(
    sim: SlackSimulator, root: str, make_sink: SinkFactory
) -> None:
    sim.refuse("chat.startStream", "channel_type_not_supported")
    sink = make_sink(stop_run=None)
    await stream_deltas(sink, sim, root, ["No ", "button."])
    await sink.emit(Finished("No button."))

    assert not any(stop_buttons(call.args) for call in sim.calls())
    assert sim.calls("chat.postMessage")[0].args["markdown_text"] == "No "


async def test_a_native_stream_has_slacks_own_stop_control_and_no_button(
    sim: SlackSimulator, root: str, make_sink: SinkFactory
) -> None:
    sink = make_sink(stop_run=RUN)
    await stream_deltas(sink, sim, root, ["Streamed."])
    await sink.emit(Finished("Streamed."))

    assert sim.calls("chat.startStream")[0].ok
    assert not any(stop_buttons(call.args) for call in sim.calls())


def unpostable(sim: SlackSimulator) -> AsyncRespond:
    """A thread the bot cannot post in: only the slash command's response_url (token T0KEN) is left."""
    for method in ("assistant.threads.setStatus", "chat.startStream", "chat.postMessage"):
        sim.refuse(method, "not_in_channel")
    return AsyncRespond(response_url=f"{sim.url}/respond/T0KEN")


async def test_on_the_response_url_the_working_message_has_the_button_and_the_answer_replaces_it(
    sim: SlackSimulator, make_sink: SinkFactory
) -> None:
    sink = make_sink(respond=unpostable(sim), stop_run=RUN)
    await sink.emit(StatusChanged("thinking"))
    await sink.emit(TextDelta("The answer."))

    [working] = sim.response_url_messages("T0KEN")
    assert working["response_type"] == "in_channel"  # a replacement keeps it: the answer is for all
    assert [button["value"] for button in stop_buttons(working)] == [RUN]

    await sink.emit(Finished("The answer."))
    assert sink.rung == "response_url"
    [answer] = sim.response_url_messages("T0KEN")
    assert answer["blocks"] == [{"type": "markdown", "text": "The answer."}]
    assert answer["response_type"] == "in_channel"
    assert [call.args.get("replace_original") for call in sim.calls("response_url")] == [None, True]


async def test_a_long_answer_on_the_response_url_fits_the_five_uses_with_the_working_message(
    sim: SlackSimulator, make_sink: SinkFactory
) -> None:
    sink = make_sink(respond=unpostable(sim), stop_run=RUN, message_limit=100)
    paragraph = "A paragraph about the payments service.\n\n"
    await sink.emit(StatusChanged("thinking"))
    await sink.emit(TextDelta(paragraph * 12))
    await sink.emit(Finished(paragraph * 12))

    calls = sim.calls("response_url")
    assert len(calls) == 5 and all(call.ok for call in calls)
    messages = sim.response_url_messages("T0KEN")
    assert len(messages) == 4  # the working message became the first part of the answer
    assert not any(stop_buttons(message) for message in messages)
    assert messages[-1]["text"].endswith(TOO_LONG_FOR_RESPONSE_URL)


async def test_without_a_stop_button_the_response_url_working_message_stays_private(
    sim: SlackSimulator, make_sink: SinkFactory
) -> None:
    sink = make_sink(respond=unpostable(sim))
    await sink.emit(StatusChanged("thinking"))
    await sink.emit(Finished("The answer."))

    working, answer = sim.response_url_messages("T0KEN")
    assert working["response_type"] == "ephemeral" and not stop_buttons(working)
    assert answer["response_type"] == "in_channel" and answer["text"] == "The answer."


# -- one message per answer: the closing blocks (the feedback controls) in its last message ---------

CLOSING = feedback_blocks(RUN)
CONTROLS = [f"up:{RUN}", f"down:{RUN}", RUN]  # what the closing blocks carry: 👍, 👎, Details


def calls_with_closing(sim: SlackSimulator) -> list[RecordedCall]:
    return [call for call in sim.calls() if feedback_values(call.args)]


async def test_a_streamed_answer_is_one_message_ending_with_the_closing_blocks_from_its_stop(
    sim: SlackSimulator, root: str, make_sink: SinkFactory
) -> None:
    sink = make_sink(stop_run=RUN, closing=CLOSING)
    await stream_deltas(sink, sim, root, ["OPS-2 is ", "blocked."])
    await sink.emit(Finished("OPS-2 is blocked."))

    [answer] = bot_messages(sim, CHANNEL, root)
    assert (answer["text"], answer["state"]) == ("OPS-2 is blocked.", "stopped")
    assert answer["blocks"][-len(CLOSING) :] == CLOSING and feedback_values(answer) == CONTROLS
    [stop] = sim.calls("chat.stopStream")
    assert stop.args["blocks"] == CLOSING
    assert calls_with_closing(sim) == [stop]
    assert sim.calls("chat.postMessage") == [] and sim.calls("chat.update") == []


@pytest.mark.parametrize("text_after_expiry", [True, False])
async def test_a_stream_slack_ended_gets_the_closing_blocks_with_its_final_update(
    sim: SlackSimulator, root: str, make_sink: SinkFactory, text_after_expiry: bool
) -> None:
    sink = make_sink(closing=CLOSING)
    await stream_deltas(sink, sim, root, ["before expiry, "])
    sim.expire_streams()
    rest = "after expiry." if text_after_expiry else ""  # without: only the blocks are missing
    if rest:
        await sink.emit(TextDelta(rest))
    await sink.emit(Finished("before expiry, " + rest))

    [answer] = bot_messages(sim, CHANNEL, root)
    assert answer["blocks"] == [{"type": "markdown", "text": "before expiry, " + rest}, *CLOSING]
    [final] = [call for call in calls_with_closing(sim) if call.ok]  # the stop tried first, too late
    assert final.method == "chat.update" and final is sim.calls("chat.update")[-1]
    assert final.args["ts"] == answer["ts"] and final.args["text"] == "before expiry, " + rest


@pytest.mark.parametrize("stop_run", [RUN, None])
async def test_a_posted_and_updated_answer_is_one_message_whose_last_update_swaps_in_the_closing_blocks(
    sim: SlackSimulator, root: str, make_sink: SinkFactory, stop_run: str | None
) -> None:
    sim.refuse("chat.startStream", "channel_type_not_supported")
    sink = make_sink(stop_run=stop_run, closing=CLOSING)
    deltas = ["Checking ", "the ", "payments ", "service."]
    await stream_deltas(sink, sim, root, deltas)  # all of it shown: only the blocks change at the end
    await sink.emit(Finished("".join(deltas)))

    [answer] = bot_messages(sim, CHANNEL, root)
    text = "Checking the payments service."
    assert answer["blocks"] == [{"type": "markdown", "text": text}, *CLOSING]
    assert answer["text"] == text and not stop_buttons(answer)
    assert len(sim.calls("chat.postMessage")) == 1
    assert calls_with_closing(sim) == [sim.calls("chat.update")[-1]]


@pytest.mark.parametrize("deltas", [[], ["Checking ", "the ", "service."]])
async def test_an_answer_posted_whole_carries_the_closing_blocks_and_is_never_updated(
    sim: SlackSimulator, root: str, deltas: list[str]
) -> None:
    # chat.update has one slot, and another thread's answer owes it: this one holds its text
    # and posts it whole at the end, since a posted message would owe an update too.
    client = build_web_client(
        TOKEN, sim.api_url, budget=SlackBudget(limits=UNLIMITED | {"chat.update": Limit(60, 1)})
    )
    other_root = sim.post_user_message(CHANNEL, "and the other thing?", user=USER)
    await EditedReply.start(
        SlackDelivery(client, team=TEAM), channel=CHANNEL, thread_ts=other_root, text="Other."
    )
    sim.refuse("chat.startStream", "channel_type_not_supported")
    options = SinkOptions(closing=CLOSING, pacing=Pacing(flush_interval=0.01, update_interval=0.01))
    sink = SlackThreadSink(SlackDelivery(client, team=TEAM), Asker(TEAM, USER, CHANNEL, root), options)
    for delta in deltas:
        await sink.emit(TextDelta(delta))
        await asyncio.sleep(0.03)  # the flusher's turns come and go: no room to post and edit
    await sink.emit(Finished("Checking the service."))

    [answer] = bot_messages(sim, CHANNEL, root)
    assert answer["blocks"] == [{"type": "markdown", "text": "Checking the service."}, *CLOSING]
    [post] = [call for call in sim.calls("chat.postMessage") if call.args["thread_ts"] == root]
    assert calls_with_closing(sim) == [post] and post.args["text"] == "Checking the service."
    assert sim.calls("chat.update") == []


@pytest.mark.parametrize("streams", [True, False])
@pytest.mark.parametrize("terminal", [Failed("Jira is unavailable"), Interrupted(STOPPED)])
async def test_an_answer_that_did_not_finish_gets_no_closing_blocks(
    sim: SlackSimulator, root: str, make_sink: SinkFactory, streams: bool, terminal: Failed | Interrupted
) -> None:
    if not streams:
        sim.refuse("chat.startStream", "channel_type_not_supported")
    sink = make_sink(stop_run=RUN, closing=CLOSING)
    await stream_deltas(sink, sim, root, ["Partial answer."])
    await sink.emit(terminal)

    [answer] = bot_messages(sim, CHANNEL, root)
    assert bot_text(sim, CHANNEL, root).startswith("Partial answer.\n\n:warning: ")
    assert calls_with_closing(sim) == [] and not stop_buttons(answer)


@pytest.mark.parametrize("streams", [True, False])
async def test_a_long_answer_has_the_closing_blocks_in_its_last_message_only(
    sim: SlackSimulator, root: str, make_sink: SinkFactory, streams: bool
) -> None:
    if not streams:
        sim.refuse("chat.startStream", "channel_type_not_supported")
    sink = make_sink(message_limit=100, stop_run=RUN, closing=CLOSING)
    paragraph = "A paragraph about the payments service.\n\n"  # 41 characters: two per message
    await sink.emit(TextDelta(paragraph * 6))
    await sink.emit(Finished(paragraph * 6))

    *earlier, last = bot_messages(sim, CHANNEL, root)
    assert len(earlier) == 2 and bot_text(sim, CHANNEL, root) == paragraph * 6
    assert [feedback_values(message) for message in earlier] == [[], []]
    assert last["blocks"][-len(CLOSING) :] == CLOSING and feedback_values(last) == CONTROLS
    assert not any(stop_buttons(message) for message in [*earlier, last])
    assert len(calls_with_closing(sim)) == 1  # the last message's closing write alone


async def test_on_the_response_url_the_answer_goes_without_the_closing_blocks(
    sim: SlackSimulator, make_sink: SinkFactory
) -> None:
    sink = make_sink(respond=unpostable(sim), closing=CLOSING)
    await sink.emit(StatusChanged("thinking"))
    await sink.emit(Finished("The answer."))

    *_, answer = sim.response_url_messages("T0KEN")
    assert answer["text"] == "The answer." and calls_with_closing(sim) == []
