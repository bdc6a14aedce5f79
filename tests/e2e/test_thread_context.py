"""A Jira key mentioned in a thread the bot is part of is read before the agent runs, and the LLM gets it."""

from __future__ import annotations

import json
import time
from typing import Any

from simulators.slack import SlackSimulator
from tests.e2e.conftest import RunningBot, Upstreams
from tests.e2e.slack_requests import ASKER, SlackRequests

CHANNEL = "C0GENERAL"


async def _stopped(slack: SlackSimulator, count: int) -> None:
    await slack.wait_for(
        lambda: len([c for c in slack.calls("chat.stopStream") if c.ok]) >= count, timeout=20
    )


def _last_user_content(body: dict[str, Any]) -> str:
    users = [m for m in body["messages"] if m["role"] == "user"]
    content = users[-1]["content"]
    return content if isinstance(content, str) else "\n".join(part.get("text", "") for part in content)


def _fenced_issues(text: str) -> list[dict[str, Any]]:
    opening = '<untrusted-data source="jira" tool="context">\n'
    return [json.loads(chunk.split("\n</untrusted-data>")[0]) for chunk in text.split(opening)[1:]]


async def test_a_follow_up_mentioning_a_key_reaches_the_llm_with_that_issue(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    await bot.post(*slack_requests.command("why is OPS-2 blocked?", channel=CHANNEL))
    await _stopped(upstreams.slack, 1)
    await bot.settle()
    root = str(upstreams.slack.calls("chat.startStream")[-1].args["thread_ts"])
    asked_before = len(upstreams.llm.chat_requests())

    follow_up = {
        "type": "message",
        "user": ASKER,
        "text": "and is OPS-3 assigned to anyone?",
        "ts": f"{time.time():.6f}",
        "thread_ts": root,
        "channel": CHANNEL,
        "channel_type": "channel",
    }
    assert (await bot.post(*slack_requests.event(follow_up))).status_code == 200
    await _stopped(upstreams.slack, 2)
    await bot.settle()

    first_of_run = upstreams.llm.chat_requests()[asked_before]
    prompt = _last_user_content(first_of_run)
    assert prompt.startswith("and is OPS-3 assigned to anyone?")
    (issue,) = _fenced_issues(prompt)
    assert issue["key"] == "OPS-3" and issue["summary"] == "Rotate staging database credentials"
    assert issue["assignee"] is None
    # The history holds the question as asked, not the looked-up data.
    conversation = await bot.services.store.find_conversation("T0SIMTEAM", CHANNEL, root)
    assert conversation is not None
    history = await bot.services.store.history(conversation)
    assert history[-2].text == "and is OPS-3 assigned to anyone?"
    # The simulated model answered from the attached issue without looking it up again.
    runs = await bot.services.store.runs(conversation)
    calls = await bot.services.store.tool_calls(runs[-1].id)
    assert ("jira_get_issue", {"key": "OPS-3"}) not in [(c.name, c.arguments) for c in calls]
    assert "OPS-3" in history[-1].text
