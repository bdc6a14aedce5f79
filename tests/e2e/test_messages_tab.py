"""The Messages tab, the agent's home: prompts when it opens, a DM thread answered as an agent
session (status in words, a title, Slack's own Stop), and the channel the user is viewing.

Everything goes through the bot's HTTP endpoint as signed Slack events and out through the
simulated Slack Web API.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.runs.durable import STOPPED
from bot.slack.listeners.home import PROMPTS
from bot.store.store import RunRecord
from simulators.llm.conversation import ToolCall
from simulators.slack import SlackSimulator
from tests.e2e.conftest import RunningBot, Upstreams
from tests.e2e.slack_requests import ASKER, TEAM, SlackRequests


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: nothing here depends on the backend (the store pieces these flows use are
    tested on both in tests/bot/store), and the suite's time is better spent elsewhere."""
    return f"sqlite:///{tmp_path / 'chatops.db'}"


DM = "D0DIRECT"
LONG_ANSWER = " ".join(f"word{i}" for i in range(600))
SHORT_ANSWER = " ".join(f"word{i}" for i in range(150))


async def _answered(slack: SlackSimulator, count: int) -> None:
    """Until ``count`` agent sessions went back to ``active`` (their runs have ended)."""
    await slack.wait_for(
        lambda: sum(s.statuses.count("active") for s in slack.agent.sessions.values()) >= count, timeout=20
    )


async def _only_run(bot: RunningBot, thread_ts: str) -> RunRecord:
    conversation = await bot.services.store.find_conversation(TEAM, DM, thread_ts)
    assert conversation is not None
    (run,) = await bot.services.store.runs(conversation)
    return run


def _answer_text(slack: SlackSimulator, thread_ts: str) -> str:
    return "\n".join(str(m["text"]) for m in slack.thread(DM, thread_ts) if m["bot_id"])


# -- suggested prompts -----------------------------------------------------------------------------


async def test_opening_the_messages_tab_sets_the_suggested_prompts(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    slack = upstreams.slack
    assert (await bot.post(*slack_requests.app_home_opened("messages"))).status_code == 200
    await slack.wait_for(lambda: bool(slack.calls("assistant.threads.setSuggestedPrompts")), timeout=20)

    (call,) = slack.calls("assistant.threads.setSuggestedPrompts")
    assert call.ok and "thread_ts" not in call.args  # the tab's prompts, not one thread's
    assert slack.agent.prompts[DM] == [{"title": p.title, "message": p.message} for p in PROMPTS]


async def test_the_home_tab_gets_no_prompts(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    slack = upstreams.slack
    assert (await bot.post(*slack_requests.app_home_opened("home", channel="D0HOME"))).status_code == 200
    assert (await bot.post(*slack_requests.app_home_opened("messages"))).status_code == 200
    await slack.wait_for(lambda: bool(slack.calls("assistant.threads.setSuggestedPrompts")), timeout=20)
    await bot.settle()
    assert [c.args["channel_id"] for c in slack.calls("assistant.threads.setSuggestedPrompts")] == [DM]


# -- a DM thread as an agent session -----------------------------------------------------------------


async def test_a_dm_is_answered_in_its_thread_as_a_titled_agent_session(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    slack = upstreams.slack
    root, *request = slack_requests.dm("why is OPS-2 blocked?")
    assert (await bot.post(*request)).status_code == 200
    await _answered(slack, 1)
    await bot.settle()

    start = slack.calls("chat.startStream")[0]
    assert start.args["channel"] == DM and start.args["thread_ts"] == root  # streamed in its own thread
    session = slack.agent.sessions[(DM, root)]
    assert session.statuses == ["processing", "active"]
    assert session.titles == ["why is OPS-2 blocked?"]
    methods = [call.method for call in slack.calls()]
    # Slack's Stop shows from the start of the work, and goes only once the answer has ended.
    assert methods.index("agents.sessions.setStatus") < methods.index("chat.startStream")
    assert len(methods) - 1 - methods[::-1].index("agents.sessions.setStatus") > methods.index(
        "chat.stopStream"
    )

    _, *follow_up = slack_requests.dm("and who works on OPS-1?", thread_ts=root)
    assert (await bot.post(*follow_up)).status_code == 200
    await _answered(slack, 2)
    await bot.settle()
    assert session.statuses == ["processing", "active", "processing", "active"]
    assert session.titles == ["why is OPS-2 blocked?"]  # a follow-up does not rename the thread
    assert len(slack.calls("agents.sessions.rename")) == 1


async def test_the_status_line_says_in_words_what_the_agent_does(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    slack, llm = upstreams.slack, upstreams.llm
    slack.refuse("chat.startStream", "channel_type_not_supported")  # steps show as the status line
    llm.script([[ToolCall("jira_get_issue", {"key": "OPS-2"})], "OPS-2 waits for OPS-1."])
    root, *request = slack_requests.dm("why is OPS-2 blocked?")
    assert (await bot.post(*request)).status_code == 200
    await _answered(slack, 1)
    await bot.settle()

    statuses = [c.args for c in slack.calls("assistant.threads.setStatus") if c.args["thread_ts"] == root]
    assert {"status": "is reading OPS-2…", "loading_messages": ["Reading OPS-2…"]}.items() <= statuses[
        -1
    ].items()
    assert "OPS-2 waits for OPS-1." in _answer_text(slack, root)


# -- Slack's own Stop on the session -----------------------------------------------------------------


async def test_slacks_stop_on_the_session_cancels_the_run_and_keeps_the_partial_answer(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    slack, llm = upstreams.slack, upstreams.llm
    llm.script([LONG_ANSWER])
    llm.chunk_delay = 0.05  # slow enough that the answer is still being written when Stop is pressed
    root, *request = slack_requests.dm("tell me everything")
    assert (await bot.post(*request)).status_code == 200
    await slack.wait_for(lambda: any(c.ok for c in slack.calls("chat.appendStream")), timeout=20)

    # The stream itself is left open: the event alone must stop the run.
    assert (await bot.post(*slack_requests.agent_session_stopped(root))).status_code == 200
    await slack.wait_for(lambda: STOPPED in _answer_text(slack, root), timeout=20)
    await bot.settle()

    assert (await _only_run(bot, root)).status == "interrupted"
    text = _answer_text(slack, root)
    assert text.startswith("word0 word1") and "word599" not in text
    assert text.rstrip().endswith(STOPPED)
    assert slack.agent.sessions[(DM, root)].status == "active"  # Slack's Stop goes away


async def test_someone_elses_stop_on_the_session_changes_nothing(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    slack, llm = upstreams.slack, upstreams.llm
    llm.script([SHORT_ANSWER])
    llm.chunk_delay = 0.02
    root, *request = slack_requests.dm("tell me everything")
    assert (await bot.post(*request)).status_code == 200
    await slack.wait_for(lambda: any(c.ok for c in slack.calls("chat.appendStream")), timeout=20)

    stranger = slack_requests.agent_session_stopped(root, user="U0BYSTANDER")
    assert (await bot.post(*stranger)).status_code == 200
    await _answered(slack, 1)
    await bot.settle()

    assert (await _only_run(bot, root)).status == "succeeded"
    text = _answer_text(slack, root)
    assert "word149" in text and STOPPED not in text


# -- where the user is -------------------------------------------------------------------------------


async def test_the_channel_the_user_views_is_remembered(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    store = bot.services.store
    viewing = {"type": "slack#/types/channel_id", "value": "C0INCIDENT", "team_id": TEAM}
    other = {"type": "slack#/types/canvas_id", "value": "F0CANVAS", "team_id": TEAM}
    assert (await bot.post(*slack_requests.app_context_changed(other, viewing))).status_code == 200
    await bot.settle()
    assert await store.viewed_channel(TEAM, ASKER) == "C0INCIDENT"
    assert await store.viewed_channel(TEAM, "U0SOMEONE") is None

    assert (await bot.post(*slack_requests.app_context_changed())).status_code == 200  # context: {}
    await bot.settle()
    assert await store.viewed_channel(TEAM, ASKER) is None
