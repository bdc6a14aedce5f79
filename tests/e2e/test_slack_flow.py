"""Slack in, answer streamed into the thread: through HTTP, against simulated upstreams."""

from __future__ import annotations

import json
import time

import pytest

from simulators.slack import SlackSimulator
from tests.e2e.conftest import RunningBot, StartBot, Upstreams
from tests.e2e.slack_requests import ASKER, BOT_USER, TEAM, SlackRequests

CHANNEL = "C0GENERAL"


async def _streams_stopped(slack: SlackSimulator, count: int) -> None:
    await slack.wait_for(
        lambda: len([c for c in slack.calls("chat.stopStream") if c.ok]) >= count, timeout=20
    )


async def _ask(bot: RunningBot, requests: SlackRequests, upstreams: Upstreams, text: str) -> str:
    """Runs /ask to the end; returns the ts of the parent message (the thread root)."""
    response = await bot.post(*requests.command(text, channel=CHANNEL))
    assert response.status_code == 200
    before = len([c for c in upstreams.slack.calls("chat.stopStream") if c.ok])
    await _streams_stopped(upstreams.slack, before + 1)
    await bot.settle()
    parents = [c for c in upstreams.slack.calls("chat.postMessage") if "thread_ts" not in c.args]
    return str(parents[-1].args["ts"]) if "ts" in parents[-1].args else _root_of_last_stream(upstreams.slack)


def _root_of_last_stream(slack: SlackSimulator) -> str:
    return str(slack.calls("chat.startStream")[-1].args["thread_ts"])


def _thread_text(slack: SlackSimulator, thread_ts: str) -> str:
    return "\n".join(message.get("text", "") for message in slack.thread(CHANNEL, thread_ts))


async def test_ask_acks_posts_a_parent_and_streams_the_answer_into_its_thread(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    response = await bot.post(*slack_requests.command("why is OPS-2 blocked?", channel=CHANNEL))
    assert response.status_code == 200
    await _streams_stopped(upstreams.slack, 1)
    await bot.settle()
    slack = upstreams.slack

    parent = slack.calls("chat.postMessage")[0]
    assert parent.args["channel"] == CHANNEL and "thread_ts" not in parent.args
    assert f"<@{ASKER}>" in parent.args["text"] and "why is OPS-2 blocked?" in parent.args["text"]

    start = slack.calls("chat.startStream")[0]
    root = start.args["thread_ts"]
    assert start.args["channel"] == CHANNEL
    assert start.args["recipient_user_id"] == ASKER and start.args["recipient_team_id"] == TEAM
    text_appends = [c for c in slack.calls("chat.appendStream") if "markdown_text" in json.dumps(c.args)]
    assert len(text_appends) >= 2, "the answer should grow in several steps"

    answer = _thread_text(slack, root)
    assert "OPS-1" in answer  # from Jira: OPS-2 is blocked by OPS-1
    assert "integration-tests" in answer  # from GitHub: the fix's failing check
    assert upstreams.jira.requests_to("/rest/api/3/issue/OPS-2")
    assert upstreams.github.requests_to("/repos/acme/payments/pulls/42")

    store = bot.services.store
    conversation = await store.find_conversation(TEAM, CHANNEL, root)
    assert conversation is not None
    (run,) = await store.runs(conversation)
    assert run.status == "succeeded" and run.trigger == "ask"
    names = {call.name for call in await store.tool_calls(run.id)}
    assert any(n.startswith("jira") for n in names) and any(n.startswith("github") for n in names)
    history = await store.history(conversation)
    assert [turn.role for turn in history] == ["user", "assistant"]
    assert history[0].text == "why is OPS-2 blocked?"


async def test_a_reply_in_the_thread_is_a_follow_up_with_the_thread_history(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    await bot.post(*slack_requests.command("why is OPS-2 blocked?", channel=CHANNEL))
    await _streams_stopped(upstreams.slack, 1)
    await bot.settle()
    root = _root_of_last_stream(upstreams.slack)
    first_answer = (
        await bot.services.store.history(await bot.services.store.find_conversation(TEAM, CHANNEL, root) or 0)
    )[-1].text

    ts = f"{time.time():.6f}"
    reply = {
        "type": "message",
        "user": ASKER,
        "text": "who is fixing it?",
        "ts": ts,
        "thread_ts": root,
        "channel": CHANNEL,
        "channel_type": "channel",
    }
    assert (await bot.post(*slack_requests.event(reply))).status_code == 200
    await _streams_stopped(upstreams.slack, 2)
    await bot.settle()

    follow_up_request = upstreams.llm.chat_requests()[-1]
    sent = json.dumps(follow_up_request["messages"])
    assert "why is OPS-2 blocked?" in sent and "who is fixing it?" in sent
    assert first_answer[:40] in sent
    assert upstreams.slack.calls("chat.startStream")[-1].args["thread_ts"] == root


async def test_replies_in_threads_the_bot_is_not_part_of_are_ignored(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    chatter = {
        "type": "message",
        "user": ASKER,
        "text": "lunch?",
        "ts": f"{time.time():.6f}",
        "thread_ts": "1700000000.000001",
        "channel": CHANNEL,
        "channel_type": "channel",
    }
    top_level = {**chatter, "ts": f"{time.time():.6f}"}
    top_level.pop("thread_ts")
    for event in (chatter, top_level):
        assert (await bot.post(*slack_requests.event(event))).status_code == 200
    await bot.settle()
    assert upstreams.llm.chat_requests() == []
    assert upstreams.slack.calls("chat.startStream") == []


async def test_a_slack_retry_of_the_same_event_runs_once(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    ts = f"{time.time():.6f}"
    mention = {
        "type": "app_mention",
        "user": ASKER,
        "text": f"<@{BOT_USER}> why is OPS-2 blocked?",
        "ts": ts,
        "channel": CHANNEL,
    }
    body, headers = slack_requests.event(mention, event_id="Ev0RETRIED01")
    for attempt in range(3):
        retry = {"X-Slack-Retry-Num": str(attempt), "X-Slack-Retry-Reason": "http_timeout"} if attempt else {}
        assert (await bot.post(body, {**headers, **retry})).status_code == 200
    await _streams_stopped(upstreams.slack, 1)
    await bot.settle()
    conversation = await bot.services.store.find_conversation(TEAM, CHANNEL, ts)
    assert conversation is not None
    assert len(await bot.services.store.runs(conversation)) == 1
    assert len(upstreams.slack.calls("chat.startStream")) == 1


async def test_a_mention_in_a_thread_arrives_twice_and_is_answered_once(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    await bot.post(*slack_requests.command("why is OPS-2 blocked?", channel=CHANNEL))
    await _streams_stopped(upstreams.slack, 1)
    await bot.settle()
    root = _root_of_last_stream(upstreams.slack)
    ts = f"{time.time():.6f}"
    text = f"<@{BOT_USER}> and OPS-3?"
    as_mention = {
        "type": "app_mention",
        "user": ASKER,
        "text": text,
        "ts": ts,
        "thread_ts": root,
        "channel": CHANNEL,
    }
    as_message = {**as_mention, "type": "message", "channel_type": "channel"}
    for event in (as_message, as_mention):
        assert (await bot.post(*slack_requests.event(event))).status_code == 200
    await _streams_stopped(upstreams.slack, 2)
    await bot.settle()
    conversation = await bot.services.store.find_conversation(TEAM, CHANNEL, root)
    assert conversation is not None
    assert len(await bot.services.store.runs(conversation)) == 2  # the /ask and one follow-up
    assert len(upstreams.slack.calls("chat.startStream")) == 2


async def test_a_dm_is_answered_in_its_own_thread(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    ts = f"{time.time():.6f}"
    dm = {
        "type": "message",
        "user": ASKER,
        "text": "what is the state of acme/payments#42?",
        "ts": ts,
        "channel": "D0DIRECT",
        "channel_type": "im",
    }
    assert (await bot.post(*slack_requests.event(dm))).status_code == 200
    await _streams_stopped(upstreams.slack, 1)
    await bot.settle()
    start = upstreams.slack.calls("chat.startStream")[0]
    assert start.args["channel"] == "D0DIRECT" and start.args["thread_ts"] == ts
    assert "integration-tests" in "\n".join(m.get("text", "") for m in upstreams.slack.thread("D0DIRECT", ts))


@pytest.mark.parametrize(
    "sender",
    [
        {"bot_id": "B0OTHERBOT", "user": "U0OTHER"},
        {"subtype": "bot_message", "bot_id": "B0OTHER2"},
        {"user": BOT_USER, "bot_id": "B0SIMBOT"},
    ],
)
async def test_bot_messages_never_start_a_run(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests, sender: dict[str, str]
) -> None:
    dm = {
        "type": "message",
        "text": "OPS-2?",
        "ts": f"{time.time():.6f}",
        "channel": "D0DIRECT",
        "channel_type": "im",
        **sender,
    }
    assert (await bot.post(*slack_requests.event(dm))).status_code == 200
    await bot.settle()
    assert upstreams.llm.chat_requests() == []


async def test_history_survives_a_restart_on_the_same_database(
    start_bot: StartBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    first = await start_bot()
    await first.post(*slack_requests.command("why is OPS-2 blocked?", channel=CHANNEL))
    await _streams_stopped(upstreams.slack, 1)
    await first.settle()
    root = _root_of_last_stream(upstreams.slack)
    await first.stop()

    second = await start_bot()
    reply = {
        "type": "message",
        "user": ASKER,
        "text": "is the fix merged yet?",
        "ts": f"{time.time():.6f}",
        "thread_ts": root,
        "channel": CHANNEL,
        "channel_type": "channel",
    }
    assert (await second.post(*slack_requests.event(reply))).status_code == 200
    await _streams_stopped(upstreams.slack, 2)
    await second.settle()
    sent = json.dumps(upstreams.llm.chat_requests()[-1]["messages"])
    assert "why is OPS-2 blocked?" in sent and "is the fix merged yet?" in sent


async def test_an_overlong_question_is_refused_at_once_without_a_run(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    response = await bot.post(*slack_requests.command("x" * 5000, channel=CHANNEL))
    assert response.status_code == 200
    assert "limit is 4,000" in response.text
    await bot.settle()
    assert upstreams.slack.calls("chat.postMessage") == []
    assert upstreams.llm.chat_requests() == []


async def test_healthz_is_ok_once_ready(bot: RunningBot) -> None:
    response = await bot.http.get(f"{bot.url}/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    bot.ingress.draining = True
    assert (await bot.http.get(f"{bot.url}/healthz")).status_code == 503


async def test_a_retry_that_arrives_after_a_restart_still_runs_once(
    start_bot: StartBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    ts = f"{time.time():.6f}"
    mention = {
        "type": "app_mention",
        "user": ASKER,
        "text": f"<@{BOT_USER}> OPS-3?",
        "ts": ts,
        "channel": CHANNEL,
    }
    body, headers = slack_requests.event(mention, event_id="Ev0ACROSSRESTART")
    first = await start_bot()
    assert (await first.post(body, headers)).status_code == 200
    await _streams_stopped(upstreams.slack, 1)
    await first.settle()
    await first.stop()

    second = await start_bot()
    retry = {**headers, "X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_timeout"}
    assert (await second.post(body, retry)).status_code == 200
    # A fresh question after the retry: once it is answered, a wrongly accepted retry would have run too.
    fresh = {**mention, "ts": f"{time.time():.6f}", "text": f"<@{BOT_USER}> OPS-4?"}
    assert (await second.post(*slack_requests.event(fresh))).status_code == 200
    await _streams_stopped(upstreams.slack, 2)
    await second.settle()
    assert len(upstreams.slack.calls("chat.startStream")) == 2
    conversation = await second.services.store.find_conversation(TEAM, CHANNEL, ts)
    assert conversation is not None and len(await second.services.store.runs(conversation)) == 1
