"""The asker stops an answer: the run is cancelled, the partial answer stays, marked.

On a native stream with Slack's own Stop control; posted and edited, or through a slash
command's response_url, with a Stop button that only the asker may use.
"""

from __future__ import annotations

from typing import Any

from bot.runs.durable import STOPPED
from bot.slack.blocks.stop import ANSWER_STOP
from bot.slack.listeners.stop import ALREADY_FINISHED
from bot.store.store import RunRecord
from simulators.slack import SlackSimulator
from tests.e2e.conftest import RunningBot, Upstreams
from tests.e2e.slack_requests import ASKER, SlackRequests

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


# -- the Stop button, where the answer is not a native stream --------------------------------------

SHORT_ANSWER = " ".join(f"word{i}" for i in range(150))


def _stop_button(message: dict[str, Any] | None) -> dict[str, Any] | None:
    for block in (message or {}).get("blocks") or []:
        for element in block.get("elements", []):
            if element.get("action_id") == ANSWER_STOP:
                return {"action_id": ANSWER_STOP, "block_id": block["block_id"], "value": element["value"]}
    return None


def _thread_root(slack: SlackSimulator) -> str | None:
    for call in slack.calls("assistant.threads.setStatus"):
        return str(call.args["thread_ts"])
    return None


def _answer_with_button(slack: SlackSimulator) -> dict[str, Any] | None:
    root = _thread_root(slack)
    replies = slack.thread(CHANNEL, root)[1:] if root else []
    return next((message for message in replies if _stop_button(message)), None)


async def _only_run(bot: RunningBot, root: str) -> RunRecord:
    conversation = await bot.services.store.find_conversation(TEAM, CHANNEL, root)
    assert conversation is not None
    (run,) = await bot.services.store.runs(conversation)
    return run


async def _ask_without_streaming(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests, answer: str
) -> dict[str, Any]:
    """/ask where Slack refuses to stream: the answer is posted and edited; returns it while it has Stop."""
    slack, llm = upstreams.slack, upstreams.llm
    slack.refuse("chat.startStream", "channel_type_not_supported")
    llm.script([answer])
    llm.chunk_delay = 0.05  # the answer takes seconds: it is still being written when clicked
    await bot.post(*slack_requests.command("tell me everything", channel=CHANNEL))
    await slack.wait_for(lambda: _answer_with_button(slack) is not None, timeout=20)
    message = _answer_with_button(slack)
    assert message is not None
    return message


async def test_the_askers_stop_button_cancels_a_posted_answer_and_keeps_it_marked_stopped(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    slack = upstreams.slack
    message = await _ask_without_streaming(bot, upstreams, slack_requests, LONG_ANSWER)
    root = str(message["thread_ts"])
    stop = _stop_button(message)
    assert stop is not None and stop["value"] == (await _only_run(bot, root)).id
    assert message["text"].startswith("word0")

    click = slack_requests.block_action(stop, message=message, response_url=f"{slack.url}/respond/click1")
    assert (await bot.post(*click)).status_code == 200
    await slack.wait_for(
        lambda: STOPPED in str((slack.message(CHANNEL, message["ts"]) or {})["text"]), timeout=20
    )
    await bot.settle()

    assert (await _only_run(bot, root)).status == "interrupted"
    stopped = slack.message(CHANNEL, message["ts"])
    assert stopped is not None and _stop_button(stopped) is None
    [markdown] = [block for block in stopped["blocks"] if block["type"] == "markdown"]
    assert markdown["text"].startswith("word0 word1") and "word599" not in markdown["text"]
    assert markdown["text"].rstrip().endswith(STOPPED)
    assert slack.response_url_messages("click1") == []  # the message itself says it stopped
    # A second click on the same (stale) button changes nothing.
    await bot.post(
        *slack_requests.block_action(stop, message=message, response_url=f"{slack.url}/respond/click2")
    )
    await slack.wait_for(lambda: bool(slack.response_url_messages("click2")), timeout=20)
    assert slack.response_url_messages("click2")[0]["text"] == ALREADY_FINISHED
    assert slack.message(CHANNEL, message["ts"]) == stopped


async def test_someone_elses_click_does_not_stop_the_answer(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    slack = upstreams.slack
    message = await _ask_without_streaming(bot, upstreams, slack_requests, SHORT_ANSWER)
    stop = _stop_button(message)
    assert stop is not None

    other = slack_requests.block_action(
        stop, message=message, user="U0BYSTANDER", response_url=f"{slack.url}/respond/other"
    )
    assert (await bot.post(*other)).status_code == 200
    await slack.wait_for(lambda: bool(slack.response_url_messages("other")), timeout=20)
    [told] = slack.response_url_messages("other")
    assert told["text"] == f"Only <@{ASKER}> can stop this answer." and told["response_type"] == "ephemeral"
    await bot.settle()

    assert (await _only_run(bot, str(message["thread_ts"]))).status == "succeeded"
    finished = slack.message(CHANNEL, message["ts"])
    assert finished is not None and _stop_button(finished) is None
    assert "word149" in finished["text"] and STOPPED not in finished["text"]


async def test_a_click_after_the_answer_finished_changes_nothing(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    slack = upstreams.slack
    message = await _ask_without_streaming(bot, upstreams, slack_requests, SHORT_ANSWER)
    stop = _stop_button(message)
    assert stop is not None
    await bot.settle()
    finished = slack.message(CHANNEL, message["ts"])
    assert finished is not None and _stop_button(finished) is None

    late = slack_requests.block_action(stop, message=message, response_url=f"{slack.url}/respond/late")
    assert (await bot.post(*late)).status_code == 200
    await slack.wait_for(lambda: bool(slack.response_url_messages("late")), timeout=20)

    assert slack.response_url_messages("late")[0]["text"] == ALREADY_FINISHED
    assert slack.message(CHANNEL, message["ts"]) == finished
    assert (await _only_run(bot, str(message["thread_ts"]))).status == "succeeded"


async def test_on_the_response_url_the_stop_button_goes_with_the_working_message(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    slack, llm = upstreams.slack, upstreams.llm
    slack.refuse("chat.startStream", "token_revoked")  # only the command's response_url is left
    llm.script([LONG_ANSWER])
    llm.chunk_delay = 0.05
    command = slack_requests.command(
        "tell me everything", channel=CHANNEL, response_url=f"{slack.url}/respond/cmd"
    )
    await bot.post(*command)
    await slack.wait_for(lambda: bool(slack.response_url_messages("cmd")), timeout=20)
    [working] = slack.response_url_messages("cmd")
    stop = _stop_button(working)
    assert stop is not None and working["response_type"] == "in_channel"

    click = slack_requests.block_action(
        stop, message={"ts": "1700000000.000999"}, response_url=f"{slack.url}/respond/click"
    )
    assert (await bot.post(*click)).status_code == 200
    await bot.settle()
    await slack.wait_for(lambda: len(slack.calls("response_url")) >= 2, timeout=20)

    [answer] = slack.response_url_messages("cmd")  # the answer replaced the working message
    assert _stop_button(answer) is None and answer["response_type"] == "in_channel"
    assert answer["blocks"][0]["text"].rstrip().endswith(STOPPED)
    root = _thread_root(slack)
    assert root is not None and (await _only_run(bot, root)).status == "interrupted"
    assert [call.args.get("replace_original") for call in slack.calls("response_url")] == [None, True]
