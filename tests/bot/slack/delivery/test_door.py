"""The delivery layer under Slack's rate tiers: budget, 429s, the ladder, stream endings, long answers.

The real slack_sdk client talks to the SIMULATED Slack on loopback; budgets run on a manual
clock, so a test holds a budget, watches what piles up, and releases it without wall-clock waits.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.events import Finished, StatusChanged, TextDelta, ToolFinished, ToolStarted
from bot.slack.delivery.budget import SlackBudget
from bot.slack.delivery.client import SlackConnection, budget_of, build_web_client
from bot.slack.delivery.coalescer import Pacing
from bot.slack.delivery.door import SlackDelivery
from bot.slack.delivery.sink import MESSAGE_LIMIT, SinkOptions, SlackThreadSink
from bot.slack.delivery.split import fences
from bot.slack.delivery.tiers import Limit
from bot.store.approvals import Asker
from bot.store.store import Store
from simulators.slack import SlackSimulator, TierEnforcer, TierRule
from tests.manual_clock import ManualClock, until
from tests.slack_budgets import UNLIMITED

TOKEN = "xoxb-delivery-test"
TEAM = "T0SIMULATED"  # the simulator's workspace
CHANNEL = "C0CHANNEL"
USER = "U0ASKER"


@pytest.fixture
async def sim() -> AsyncIterator[SlackSimulator]:
    async with SlackSimulator(token=TOKEN) as simulator:
        yield simulator


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def root(sim: SlackSimulator) -> str:
    return sim.post_user_message(CHANNEL, "what is blocking OPS-2?", user=USER)


def client_with(sim: SlackSimulator, budget: SlackBudget) -> AsyncWebClient:
    return build_web_client(TOKEN, sim.api_url, budget=budget)


def sink_for(
    client: AsyncWebClient,
    root: str,
    *,
    channel: str = CHANNEL,
    respond: AsyncRespond | None = None,
    update_interval: float = 0.0,
    message_limit: int = MESSAGE_LIMIT,
) -> SlackThreadSink:
    options = SinkOptions(respond=respond, pacing=Pacing(0.0, update_interval), message_limit=message_limit)
    return SlackThreadSink(SlackDelivery(client, team=TEAM), Asker(TEAM, USER, channel, root), options)


def replies(sim: SlackSimulator, root: str, channel: str = CHANNEL) -> list[dict[str, Any]]:
    return [message for message in sim.thread(channel, root) if message["bot_id"]]


def text_of(sim: SlackSimulator, root: str) -> str:
    return "".join(message["text"] for message in replies(sim, root))


def markdown_in(call_args: dict[str, Any]) -> str:
    chunks = call_args.get("chunks") or []
    return str(call_args.get("markdown_text") or "") + "".join(
        chunk["text"] for chunk in chunks if chunk["type"] == "markdown_text"
    )


# -- the budget, held and released -------------------------------------------------------------


async def test_deltas_coalesce_into_one_append_while_the_budget_is_held(
    sim: SlackSimulator, root: str, clock: ManualClock
) -> None:
    budget = SlackBudget(limits={"chat.appendStream": Limit(60, 1)}, clock=clock, sleep=clock.sleep)
    sink = sink_for(client_with(sim, budget), root)
    await sink.emit(TextDelta("first "))
    await sim.wait_for(lambda: text_of(sim, root) == "first ")
    deltas = ["while ", "the ", "budget ", "is ", "held"]
    for delta in deltas:
        await sink.emit(TextDelta(delta))
    await until(lambda: clock.sleeping == 1)  # the flusher waits for an appendStream slot
    assert text_of(sim, root) == "first "

    clock.advance(1.0)
    await sim.wait_for(lambda: text_of(sim, root) == "first while the budget is held")
    appends = [markdown_in(call.args) for call in sim.calls("chat.appendStream")]
    assert appends == ["first ", "while the budget is held"]
    await sink.emit(Finished("first while the budget is held"))
    assert replies(sim, root)[0]["state"] == "stopped"


async def test_a_429_pauses_that_method_for_that_workspace_only_and_loses_nothing(
    sim: SlackSimulator, root: str, clock: ManualClock
) -> None:
    budget = SlackBudget(limits=UNLIMITED, clock=clock, sleep=clock.sleep)
    client = client_with(sim, budget)
    sink = sink_for(client, root)
    await sink.emit(TextDelta("one, "))
    await sim.wait_for(lambda: text_of(sim, root) == "one, ")
    sim.rate_limit("chat.appendStream", times=1, retry_after=30)
    await sink.emit(TextDelta("two, "))
    await until(lambda: clock.sleeping == 1)  # the SDK's retry waits on the budget's pause
    await sink.emit(TextDelta("three."))

    assert budget.paused_for(TEAM, "chat.appendStream") == 30
    assert budget.delay(TEAM, "chat.update") == 0 and budget.delay("T0ELSEWHERE", "chat.appendStream") == 0
    other = await SlackDelivery(client, team=TEAM).call(
        "chat.postMessage", {"channel": "C0OTHER", "markdown_text": "the rest of the bot goes on"}
    )
    assert other["ok"]

    clock.advance(30)
    await sink.emit(Finished("one, two, three."))
    assert text_of(sim, root) == "one, two, three."
    assert [call.status for call in sim.calls("chat.appendStream")].count(429) == 1
    assert budget.counters.get("429:chat.appendStream") == 1
    assert sim.calls("chat.update") == []


async def test_a_429_on_update_loses_nothing(sim: SlackSimulator, root: str, clock: ManualClock) -> None:
    budget = SlackBudget(limits=UNLIMITED, clock=clock, sleep=clock.sleep)
    sim.refuse("chat.startStream", "channel_type_not_supported")
    sink = sink_for(client_with(sim, budget), root)
    await sink.emit(TextDelta("posted, "))
    await sim.wait_for(lambda: text_of(sim, root) == "posted, ")
    sim.rate_limit("chat.update", times=2, retry_after=5)
    await sink.emit(TextDelta("then edited"))
    await until(lambda: clock.sleeping == 1)
    clock.advance(5)
    await until(lambda: clock.sleeping == 1)  # the second 429: paused again
    clock.advance(5)
    await sink.emit(Finished("posted, then edited"))

    assert text_of(sim, root) == "posted, then edited"
    assert [call.status for call in sim.calls("chat.update")].count(429) == 2


async def test_a_rate_limited_stream_start_is_not_retried_but_steps_down_to_post(
    sim: SlackSimulator, root: str
) -> None:
    budget = SlackBudget(limits=UNLIMITED)
    sim.rate_limit("chat.startStream", times=1, retry_after=20)
    sink = sink_for(client_with(sim, budget), root)
    await sink.emit(TextDelta("answer"))
    await sink.emit(Finished("answer"))

    assert [call.status for call in sim.calls("chat.startStream")] == [429]
    assert budget.paused_for(TEAM, "chat.startStream") > 19
    assert budget.counters.get("step_down:stream->post:ratelimited") == 1
    assert sink.rung == "post" and text_of(sim, root) == "answer"


async def test_under_a_burst_streams_start_while_the_tier_allows_then_answers_are_posted(
    sim: SlackSimulator, clock: ManualClock
) -> None:
    budget = SlackBudget(limits={"chat.startStream": Limit(20, 2)}, clock=clock, sleep=clock.sleep)
    client = client_with(sim, budget)
    roots = [sim.post_user_message(f"C0BURST{n}", "why?", user=USER) for n in range(4)]
    sinks = [sink_for(client, root, channel=f"C0BURST{n}") for n, root in enumerate(roots)]
    for n, sink in enumerate(sinks):
        await sink.emit(TextDelta(f"answer {n}"))
    for n, sink in enumerate(sinks):
        await sink.emit(Finished(f"answer {n}"))

    assert [sink.rung for sink in sinks] == ["stream", "stream", "post", "post"]
    assert len(sim.calls("chat.startStream")) == 2  # no doomed calls: the budget said no first
    assert budget.counters.get("step_down:stream->post:ratelimited") == 2
    for n, root in enumerate(roots):
        assert text_of_channel(sim, f"C0BURST{n}", root) == f"answer {n}"


def text_of_channel(sim: SlackSimulator, channel: str, root: str) -> str:
    return "".join(message["text"] for message in replies(sim, root, channel))


# -- the ladder --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "refusal", ["channel_type_not_supported", "missing_recipient_user_id", "missing_recipient_team_id"]
)
async def test_a_refused_stream_steps_down_to_post_and_update(
    sim: SlackSimulator, root: str, refusal: str
) -> None:
    budget = SlackBudget(limits=UNLIMITED)
    sim.refuse("chat.startStream", refusal)
    sink = sink_for(client_with(sim, budget), root)
    await sink.emit(TextDelta("Falling "))
    await sim.wait_for(lambda: text_of(sim, root) == "Falling ")
    await sink.emit(TextDelta("back."))
    await sim.wait_for(lambda: text_of(sim, root) == "Falling back.")
    await sink.emit(Finished("Falling back."))

    assert budget.counters.get(f"step_down:stream->post:{refusal}") == 1
    assert len(sim.calls("chat.postMessage")) == 1 and len(sim.calls("chat.update")) >= 1
    [reply] = replies(sim, root)
    assert reply["text"] == "Falling back." and sink.reply_ts == reply["ts"]


async def test_where_the_bot_cannot_post_the_answer_goes_through_the_response_url(
    sim: SlackSimulator, root: str
) -> None:
    budget = SlackBudget(limits=UNLIMITED)
    sim.refuse("assistant.threads.setStatus", "not_in_channel")
    sim.refuse("chat.startStream", "not_in_channel")
    sim.refuse("chat.postMessage", "not_in_channel")
    respond = AsyncRespond(response_url=f"{sim.url}/respond/T0KEN")
    sink = sink_for(client_with(sim, budget), root, respond=respond)
    await sink.emit(StatusChanged("thinking"))
    await sink.emit(TextDelta("Here is <@U1> the answer."))
    await sink.emit(Finished("Here is <@U1> the answer."))

    assert sink.rung == "response_url"
    assert budget.counters.get("step_down:stream->post:not_in_channel") == 1
    assert budget.counters.get("step_down:post->response_url:not_in_channel") == 1
    working, answer = sim.calls("response_url")
    assert working.args["response_type"] == "ephemeral"
    assert answer.args["response_type"] == "in_channel"
    assert answer.args["blocks"] == [{"type": "markdown", "text": "Here is &lt;@U1&gt; the answer."}]
    assert answer.args["unfurl_links"] is False and answer.args["unfurl_media"] is False


async def test_without_a_response_url_an_unpostable_thread_is_logged_and_counted(
    sim: SlackSimulator, root: str
) -> None:
    budget = SlackBudget(limits=UNLIMITED)
    sim.refuse("chat.startStream", "not_in_channel")
    sim.refuse("chat.postMessage", "not_in_channel", times=2)
    sink = sink_for(client_with(sim, budget), root)
    await sink.emit(TextDelta("lost"))
    await sink.emit(Finished("lost"))
    assert sink.rung == "none"
    assert budget.counters.get("step_down:post->none:not_in_channel") == 1
    assert replies(sim, root) == []


# -- streams that Slack ends -------------------------------------------------------------------


@pytest.mark.parametrize("ending", ["expired", "stopped_by_user"])
async def test_an_ended_stream_is_finished_by_chat_update_and_never_updated_while_streaming(
    sim: SlackSimulator, root: str, ending: str
) -> None:
    budget = SlackBudget(limits=UNLIMITED)
    sink = sink_for(client_with(sim, budget), root)
    await sink.emit(TextDelta("before, "))
    await sim.wait_for(lambda: text_of(sim, root) == "before, ")
    assert sink.reply_ts is not None
    if ending == "expired":
        sim.expire_streams()
    else:
        sim.stop_by_user(CHANNEL, sink.reply_ts)
    await sink.emit(TextDelta("during, "))
    await sim.wait_for(lambda: any(not call.ok for call in sim.calls("chat.appendStream")))
    await sink.emit(TextDelta("after."))
    await sink.emit(Finished("before, during, after."))

    [reply] = replies(sim, root)
    assert reply["text"] == "before, during, after."
    assert sim.calls("chat.update")[-1].args["markdown_text"] == "before, during, after."
    assert not [call for call in sim.calls() if call.error == "streaming_state_conflict"]
    expected = "message_not_in_streaming_state" if ending == "expired" else "stopped_by_user"
    assert budget.counters.get(f"stream_ended:{expected}") == 1


async def test_a_stream_is_stopped_before_it_is_ever_edited(sim: SlackSimulator, root: str) -> None:
    budget = SlackBudget(limits=UNLIMITED)
    sink = sink_for(client_with(sim, budget), root, message_limit=40)
    answer = "A first paragraph that is long.\n\nA second one, also quite long."
    for word in answer.split(" "):
        await sink.emit(TextDelta(word + " " if not word.endswith("long.") else word + " "))
    await sink.emit(Finished(answer + " "))

    order = [call.method for call in sim.calls() if call.method in ("chat.stopStream", "chat.update")]
    assert not [call for call in sim.calls() if call.error == "streaming_state_conflict"]
    assert "".join(message["text"] for message in replies(sim, root)) == answer + " "
    assert order and order[0] == "chat.stopStream"


# -- sign of life and tool steps ---------------------------------------------------------------


async def test_the_thread_shows_a_status_before_anything_else(sim: SlackSimulator, root: str) -> None:
    budget = SlackBudget(limits=UNLIMITED)
    sink = sink_for(client_with(sim, budget), root)
    await sink.emit(TextDelta("hi"))
    await sink.emit(Finished("hi"))
    first = sim.calls()[0]
    assert first.method == "assistant.threads.setStatus" and first.args["thread_ts"] == root
    assert first.args["status"] == "is working on it…"


async def test_on_the_post_rung_tool_steps_show_as_the_thread_status(sim: SlackSimulator, root: str) -> None:
    budget = SlackBudget(limits=UNLIMITED)
    sim.refuse("chat.startStream", "channel_type_not_supported")
    sink = sink_for(client_with(sim, budget), root)
    await sink.emit(StatusChanged("thinking"))
    await sink.emit(ToolStarted("call-1", "jira_get_issue", "Jira: get OPS-2", {"key": "<!here> OPS-2"}))
    # In words a person reads, escaped: the arguments are the model's.
    assert sim.status(CHANNEL, root) == "is reading &lt;!here&gt; OPS-2…"
    assert sim.calls("assistant.threads.setStatus")[-1].args["loading_messages"] == [
        "Reading &lt;!here&gt; OPS-2…"
    ]
    await sink.emit(ToolFinished("call-1", "jira_get_issue", True, "OPS-2: Blocked"))
    await sink.emit(Finished("done"))
    assert text_of(sim, root) == "done"
    assert len(sim.calls("chat.postMessage")) == 1 and sim.calls("chat.update") == []  # posted whole


# -- long answers ------------------------------------------------------------------------------


def long_answer() -> str:
    parts: list[str] = []
    for n in range(12):
        parts.append(f"## Part {n}\n\n" + "Prose about the payments service. " * 40 + "\n\n")
        parts.append("```python\n" + "".join(f"step_{n}_{i} = run({i})\n" for i in range(60)) + "```\n\n")
    return "".join(parts)


async def test_a_30000_character_answer_continues_in_ordered_replies_cut_outside_code_blocks(
    sim: SlackSimulator, root: str
) -> None:
    answer = long_answer()
    assert 29_000 < len(answer) < 36_000
    budget = SlackBudget(limits=UNLIMITED)
    sink = sink_for(client_with(sim, budget), root)
    for start in range(0, len(answer), 997):
        await sink.emit(TextDelta(answer[start : start + 997]))
    await sink.emit(Finished(answer))

    messages = [message["text"] for message in replies(sim, root)]
    assert len(messages) == 3
    assert "".join(messages) == answer  # in order, nothing missing, nothing added
    assert all(len(message) <= 12_000 for message in messages)
    for message in messages:
        assert all(
            block.end <= len(message) and message[block.end - 4 : block.end] == "```\n"
            for block in fences(message)
        )
    assert not [call for call in sim.calls() if call.error]


async def test_a_single_code_block_longer_than_a_message_is_split_and_reopened(
    sim: SlackSimulator, root: str
) -> None:
    block = "```sql\n" + "".join(f"select {i} from payments;\n" for i in range(700)) + "```\n"
    answer = "Here is the query:\n\n" + block + "\nThat is all."
    assert len(block) > 12_000
    sink = sink_for(client_with(sim, SlackBudget(limits=UNLIMITED)), root)
    for start in range(0, len(answer), 1_500):
        await sink.emit(TextDelta(answer[start : start + 1_500]))
    await sink.emit(Finished(answer))

    messages = [message["text"] for message in replies(sim, root)]
    assert len(messages) >= 3 and all(len(message) <= 12_000 for message in messages)
    assert messages[0] == "Here is the query:\n\n"  # the block starts its own message
    assert all(len(re.findall(r"^```", message, re.MULTILINE)) % 2 == 0 for message in messages)
    rejoined = "".join(messages).replace("```" + "```sql\n", "")  # the added close and reopen
    assert rejoined == answer


# -- the tiers end to end ----------------------------------------------------------------------


async def test_thirty_concurrent_answers_complete_against_a_tier_enforcing_slack(root: str) -> None:
    # Tier rates per second instead of per minute (so the test is quick); bursts stricter than ours.
    rules = {
        "chat.startStream": TierRule(20 * 60),
        "chat.stopStream": TierRule(20 * 60),
        "chat.appendStream": TierRule(100 * 60),
        "chat.update": TierRule(50 * 60),
        "chat.postMessage": TierRule(60 * 60, per_channel=True),
    }
    tiers = TierEnforcer(rules, burst_minutes=0.05 / 60)
    limits = {
        "chat.startStream": Limit(20 * 60, 10),
        "chat.stopStream": Limit(20 * 60, 10),
        "chat.appendStream": Limit(100 * 60, 40),
        "chat.update": Limit(50 * 60, 20),
        "chat.postMessage": Limit(60 * 60, 3, per_channel=True),
    }

    async with SlackSimulator(token=TOKEN, tiers=tiers) as slack:
        budget = SlackBudget(limits=limits)
        client = build_web_client(TOKEN, slack.api_url, budget=budget)
        assert budget_of(client) is budget
        threads = [
            (f"C0T{n % 6}", slack.post_user_message(f"C0T{n % 6}", "why?", user=USER)) for n in range(30)
        ]
        answers = [f"Answer {n}: " + "word " * 200 for n in range(30)]

        async def run(n: int) -> None:
            channel, thread = threads[n]
            sink = sink_for(client, thread, channel=channel, update_interval=0.01)
            for start in range(0, len(answers[n]), 50):
                await sink.emit(TextDelta(answers[n][start : start + 50]))
                await asyncio.sleep(0.001)
            await sink.emit(Finished(answers[n]))

        await asyncio.gather(*(run(n) for n in range(30)))
        for n, (channel, thread) in enumerate(threads):
            assert text_of_channel(slack, channel, thread) == answers[n]
        assert sum(tiers.refused.values()) == sum(1 for call in slack.calls() if call.status == 429)
        assert sum(budget.counters.snapshot().get(f"429:{m}", 0) for m in rules) == sum(
            tiers.refused.values()
        )


async def test_the_sdk_raises_after_its_retries_when_slack_keeps_refusing(sim: SlackSimulator) -> None:
    clock = ManualClock()
    budget = SlackBudget(limits=UNLIMITED, clock=clock, sleep=clock.sleep)
    delivery = SlackDelivery(client_with(sim, budget), team=TEAM)
    sim.rate_limit("chat.update", times=10, retry_after=1)

    call = asyncio.create_task(
        delivery.call("chat.update", {"channel": CHANNEL, "ts": "1.0", "markdown_text": "x"})
    )
    for _ in range(3):
        await until(lambda: clock.sleeping == 1)
        clock.advance(1)
    with pytest.raises(SlackApiError):
        await call
    assert len(sim.calls("chat.update")) == 4  # the first try and the SDK's three retries


async def test_one_budget_per_connection_also_counts_the_429s_of_calls_made_outside_the_sinks(
    sim: SlackSimulator,
) -> None:
    connection = await SlackConnection.open(TOKEN, sim.api_url)
    try:
        assert budget_of(connection.client) is connection.budget
        assert budget_of(connection.app_client()) is connection.budget  # Bolt's clients share it
        assert connection.budget.default_team == sim.team_id
        sim.rate_limit("chat.postMessage", times=1, retry_after=0)
        posted = await connection.client.chat_postMessage(channel=CHANNEL, text="a parent message")
        assert posted["ok"]
        assert connection.budget.counters.get("429:chat.postMessage") == 1
    finally:
        await connection.aclose()


async def test_the_budget_is_kept_in_the_database_only_when_a_fleet_can_share_it(
    sim: SlackSimulator, store: Store, database_url: str
) -> None:
    # PostgreSQL: every process of the fleet reserves in one table. SQLite is one process's, so
    # its budget stays in memory and no Slack call waits on SQLite's single writer for it.
    connection = await SlackConnection.open(TOKEN, sim.api_url, store=store)
    try:
        await SlackDelivery(connection.client, team=sim.team_id).post(CHANNEL, "a parent message")
    finally:
        await connection.aclose()

    key = f"{sim.team_id}/chat.postMessage/{CHANNEL}"
    kept = (await store.read_budget(key, key)).tat != float("-inf")
    assert kept == database_url.startswith("postgresql")


# -- the door's plain writes: post, update, ephemeral, unfurl, say -----------------------------------


async def test_a_post_waits_for_its_channels_slot_and_never_unfurls(
    sim: SlackSimulator, root: str, clock: ManualClock
) -> None:
    budget = SlackBudget(
        limits={"chat.postMessage": Limit(60, 1, per_channel=True)}, clock=clock, sleep=clock.sleep
    )
    delivery = SlackDelivery(client_with(sim, budget), team=TEAM)
    first = await delivery.post(CHANNEL, "first", thread_ts=root)
    second = asyncio.create_task(delivery.post(CHANNEL, "second", thread_ts=root))
    await until(lambda: clock.sleeping == 1)  # about one post a second in a channel
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "*elsewhere*"}}
    await delivery.post("C0OTHER", "elsewhere", blocks=[section])  # another channel goes at once
    assert [message["text"] for message in replies(sim, root)] == ["first"]

    clock.advance(1.0)
    assert await second == replies(sim, root)[1]["ts"]
    assert first == replies(sim, root)[0]["ts"]
    posts = sim.calls("chat.postMessage")
    assert all(call.args["unfurl_links"] is False and call.args["unfurl_media"] is False for call in posts)
    (top,) = [call for call in posts if call.args["channel"] == "C0OTHER"]
    assert "thread_ts" not in top.args and top.args["blocks"] == [section]


async def test_update_ephemeral_and_unfurl_each_take_a_slot_of_their_method(
    sim: SlackSimulator, root: str, clock: ManualClock
) -> None:
    limited = ("chat.update", "chat.postEphemeral", "chat.unfurl")
    budget = SlackBudget(
        limits=UNLIMITED | {m: Limit(60, 1) for m in limited}, clock=clock, sleep=clock.sleep
    )
    delivery = SlackDelivery(client_with(sim, budget), team=TEAM)
    link = "https://jira.example.test/browse/OPS-2"
    ts = await delivery.post(CHANNEL, f"see {link}", thread_ts=root)

    await delivery.update(CHANNEL, ts, f"now see {link}")
    await delivery.post_ephemeral(CHANNEL, USER, "only you", thread_ts=root)
    await delivery.unfurl({link: {"blocks": [{"type": "divider"}]}}, channel=CHANNEL, ts=ts)

    assert [budget.delay(TEAM, method) > 0 for method in limited] == [True, True, True]
    message = sim.message(CHANNEL, ts)
    assert message is not None and message["text"] == f"now see {link}"
    (update,) = sim.calls("chat.update")
    assert update.args["unfurl_links"] is False
    assert sim.ephemeral_messages[-1]["text"] == "only you"
    assert sim.unfurls(CHANNEL, ts)[link]["blocks"] == [{"type": "divider"}]


async def test_say_logs_a_refusal_instead_of_raising(
    sim: SlackSimulator, root: str, caplog: pytest.LogCaptureFixture
) -> None:
    delivery = SlackDelivery(client_with(sim, SlackBudget(limits=UNLIMITED)), team=TEAM)
    sim.refuse("chat.postMessage", "is_archived")
    with caplog.at_level(logging.WARNING):
        assert await delivery.say(CHANNEL, "a notice", thread_ts=root) is False
    assert "is_archived" in caplog.text
    assert await delivery.say(CHANNEL, "a notice", thread_ts=root) is True
    assert [message["text"] for message in replies(sim, root)] == ["a notice"]
