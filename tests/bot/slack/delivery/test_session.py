"""A thread's agent session and the Messages tab's prompts, against the SIMULATED Slack."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.delivery import (
    AgentSession,
    Prompt,
    SlackDelivery,
    build_web_client,
    session_title,
    suggest_prompts,
)
from bot.slack.delivery.budget import SlackBudget
from simulators.slack import SlackSimulator
from tests.bot.slack.delivery.threads import TEAM, TOKEN
from tests.slack_budgets import UNLIMITED

DM = "D0DIRECT"
ROOT = "1700000000.000100"


async def test_a_session_works_named_then_goes_back_to_active(
    sim: SlackSimulator, client: AsyncWebClient
) -> None:
    session = AgentSession(SlackDelivery(client, team=TEAM), DM, ROOT)
    session.start("why is OPS-2 blocked?")
    await session.done()

    state = sim.agent.sessions[(DM, ROOT)]
    assert state.statuses == ["processing", "active"] and state.titles == ["why is OPS-2 blocked?"]
    assert [c.method for c in sim.calls()] == [
        "agents.sessions.setStatus",
        "agents.sessions.rename",  # after the status: a session must exist to be renamed
        "agents.sessions.setStatus",
    ]


async def test_a_follow_up_is_not_renamed(sim: SlackSimulator, client: AsyncWebClient) -> None:
    session = AgentSession(SlackDelivery(client, team=TEAM), DM, ROOT)
    session.start()
    await session.done()
    assert sim.calls("agents.sessions.rename") == []


async def test_a_refused_session_is_only_logged(sim: SlackSimulator, client: AsyncWebClient) -> None:
    sim.refuse("agents.sessions.setStatus", "feature_disabled", times=2)
    session = AgentSession(SlackDelivery(client, team=TEAM), DM, ROOT)
    session.start("a title")
    await session.done()  # raises nothing
    assert sim.calls("agents.sessions.rename") == []  # no session to rename


def test_a_title_is_one_escaped_line_of_the_question() -> None:
    assert session_title("  why is\nOPS-2   blocked? ") == "why is OPS-2 blocked?"
    assert session_title("ping <!here>") == "ping &lt;!here&gt;"
    long = session_title("word " * 100)
    assert len(long) <= 80 and long.endswith("…")


async def test_prompts_are_set_for_the_tab_not_a_thread(sim: SlackSimulator, client: AsyncWebClient) -> None:
    prompts = [Prompt("Review queue", "Which PRs wait for review?")]
    assert await suggest_prompts(SlackDelivery(client, team=TEAM), DM, prompts)
    (call,) = sim.calls("assistant.threads.setSuggestedPrompts")
    assert "thread_ts" not in call.args
    assert sim.agent.prompts[DM] == [{"title": "Review queue", "message": "Which PRs wait for review?"}]


async def test_an_app_without_the_agent_feature_gets_no_prompts() -> None:
    async with SlackSimulator(token=TOKEN, agent_app=False) as plain:
        client = build_web_client(TOKEN, plain.api_url, budget=SlackBudget(limits=UNLIMITED))
        assert not await suggest_prompts(SlackDelivery(client, team=TEAM), DM, [Prompt("a", "b")])
        assert [c.error for c in plain.calls()] == ["not_agent_app"]


async def test_prompts_need_the_assistant_write_scope(sim: SlackSimulator, client: AsyncWebClient) -> None:
    sim.scopes.remove("assistant:write")
    assert not await suggest_prompts(SlackDelivery(client, team=TEAM), DM, [Prompt("a", "b")])
    assert [c.error for c in sim.calls()] == ["missing_scope"]
