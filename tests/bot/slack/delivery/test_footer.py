"""The answer footer (``bot.slack.delivery.footer``) around a real thread sink on the SIMULATED Slack."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.events import Finished, TextDelta, ToolFinished, ToolStarted, Usage
from bot.slack.delivery.coalescer import Pacing
from bot.slack.delivery.door import SlackDelivery
from bot.slack.delivery.footer import FooterSink, footer_line
from bot.slack.delivery.sink import SinkOptions, SlackThreadSink
from bot.store.approvals import Asker
from simulators.slack import SlackSimulator
from tests.bot.slack.delivery.threads import CHANNEL, TEAM, USER, bot_messages
from tests.manual_clock import ManualClock


def footed(client: AsyncWebClient, root: str, clock: ManualClock) -> FooterSink:
    options = SinkOptions(pacing=Pacing(flush_interval=0.0, update_interval=0.0))
    thread = SlackThreadSink(SlackDelivery(client, team=TEAM), Asker(TEAM, USER, CHANNEL, root), options)
    return FooterSink(thread, clock=clock)


def test_the_footer_counts_the_tool_calls_names_the_tools_and_counts_tokens_and_seconds() -> None:
    usage = Usage(input_tokens=1200, output_tokens=34, tool_calls=2)
    assert (
        footer_line(["jira_get_issue"], usage, 2.46)
        == "_2 tool calls (jira_get_issue) · 1,234 tokens · 2.5 s_"
    )
    assert (
        footer_line(["jira_get_issue"], Usage(tool_calls=1), 0.0)
        == "_1 tool call (jira_get_issue) · 0 tokens · 0.0 s_"
    )
    assert footer_line([], Usage(), 0.0) == "_no tools · 0 tokens · 0.0 s_"


async def test_a_streamed_answer_ends_with_the_footer_of_its_run(
    sim: SlackSimulator, client: AsyncWebClient, root: str
) -> None:
    clock = ManualClock()
    sink = footed(client, root, clock)
    for tool in ("jira_get_issue", "github_get_pr", "jira_get_issue"):  # each tool named once
        await sink.emit(ToolStarted(f"c-{tool}", tool, f"{tool} …"))
        await sink.emit(ToolFinished(f"c-{tool}", tool, True, "done"))
    await sink.emit(TextDelta("OPS-2 waits on PR #41."))
    clock.advance(3.0)
    await sink.emit(
        Finished("OPS-2 waits on PR #41.", Usage(input_tokens=1200, output_tokens=34, tool_calls=3))
    )

    [answer] = bot_messages(sim, root)
    assert answer["text"] == (
        "OPS-2 waits on PR #41.\n\n_3 tool calls (jira_get_issue, github_get_pr) · 1,234 tokens · 3.0 s_"
    )
    tasks = [
        c
        for call in sim.calls("chat.appendStream")
        for c in call.args["chunks"]
        if c["type"] == "task_update"
    ]
    assert {task["id"] for task in tasks} == {"c-jira_get_issue", "c-github_get_pr"}  # passed on unchanged


async def test_an_empty_answer_shows_the_footer_alone(
    sim: SlackSimulator, client: AsyncWebClient, root: str
) -> None:
    sink = footed(client, root, ManualClock())
    await sink.emit(Finished(""))

    [answer] = bot_messages(sim, root)
    assert answer["text"] == "_no tools · 0 tokens · 0.0 s_"
