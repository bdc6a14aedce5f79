"""The asker presses the stream's Stop control: the run is cancelled, the partial answer stays, marked."""

from __future__ import annotations

from bot.dispatcher import STOPPED
from tests.e2e.conftest import RunningBot, Upstreams
from tests.e2e.slack_requests import SlackRequests

CHANNEL = "C0GENERAL"
TEAM = "T0SIMTEAM"
LONG_ANSWER = " ".join(f"word{i}" for i in range(600))


async def test_stop_by_the_asker_cancels_the_run_and_keeps_the_partial_answer(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    slack, llm = upstreams.slack, upstreams.llm
    llm.script([LONG_ANSWER])
    llm.chunk_delay = 0.05  # slow enough that the stream is still open when Stop is pressed
    await bot.post(*slack_requests.command("tell me everything", channel=CHANNEL))
    await slack.wait_for(lambda: any(c.ok for c in slack.calls("chat.appendStream")), timeout=20)
    start = slack.calls("chat.startStream")[-1]
    root = str(start.args["thread_ts"])
    (answer_ts,) = [str(m["ts"]) for m in slack.thread(CHANNEL, root)[1:]]

    slack.stop_by_user(CHANNEL, answer_ts)

    store = bot.services.store
    conversation = await store.find_conversation(TEAM, CHANNEL, root)
    assert conversation is not None
    await slack.wait_for(
        lambda: STOPPED in str((slack.message(CHANNEL, answer_ts) or {}).get("text")), timeout=20
    )
    await bot.settle()
    (run,) = await store.runs(conversation)
    assert run.status == "interrupted"
    text = str((slack.message(CHANNEL, answer_ts) or {})["text"])
    assert text.startswith("word0 word1")
    assert "word599" not in text  # the rest of the answer was never produced
    assert text.rstrip().endswith(STOPPED)
