"""In a thread the bot is part of, people can see what it stored there and make it forget."""

from __future__ import annotations

import time

from simulators.slack import SlackSimulator
from tests.e2e.conftest import RunningBot, Upstreams
from tests.e2e.slack_requests import ASKER, SlackRequests

CHANNEL = "C0GENERAL"
TEAM = "T0SIMTEAM"


async def _stopped(slack: SlackSimulator, count: int) -> None:
    await slack.wait_for(
        lambda: len([c for c in slack.calls("chat.stopStream") if c.ok]) >= count, timeout=20
    )


def _follow_up(root: str, text: str) -> dict[str, object]:
    return {
        "type": "message",
        "user": ASKER,
        "text": text,
        "ts": f"{time.time():.6f}",
        "thread_ts": root,
        "channel": CHANNEL,
        "channel_type": "channel",
    }


def _thread_posts(slack: SlackSimulator, root: str) -> list[str]:
    return [
        str(c.args.get("text", ""))
        for c in slack.calls("chat.postMessage")
        if c.ok and c.args.get("thread_ts") == root
    ]


async def test_what_do_you_know_here_lists_the_stored_context_and_forget_deletes_it(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    slack = upstreams.slack
    await bot.post(*slack_requests.command("why is OPS-2 blocked?", channel=CHANNEL))
    await _stopped(slack, 1)
    await bot.settle()
    root = str(slack.calls("chat.startStream")[-1].args["thread_ts"])
    store = bot.services.store
    conversation = await store.find_conversation(TEAM, CHANNEL, root)
    assert conversation is not None
    asked_before = len(upstreams.llm.chat_requests())

    await bot.post(*slack_requests.event(_follow_up(root, "what do you know here?")))
    await slack.wait_for(lambda: any("What I keep" in t for t in _thread_posts(slack, root)), timeout=20)
    (inventory,) = [t for t in _thread_posts(slack, root) if "What I keep" in t]
    assert "2 message(s), 1 run(s)" in inventory
    assert "why is OPS-2 blocked?" in inventory

    (run,) = await store.runs(conversation)
    await store.record_feedback(run.id, ASKER, "down", "too vague")
    await bot.post(*slack_requests.event(_follow_up(root, "forget this thread")))
    await slack.wait_for(lambda: any("Forgotten" in t for t in _thread_posts(slack, root)), timeout=20)
    await bot.settle()

    assert await store.find_conversation(TEAM, CHANNEL, root) is None
    assert await store.runs(conversation) == []
    assert await store.history(conversation) == []
    assert await store.feedback(run.id) == {}
    # Neither request started a run or reached the model.
    assert len(upstreams.llm.chat_requests()) == asked_before
    assert len(slack.calls("chat.startStream")) == 1
