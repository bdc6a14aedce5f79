"""PydanticAgent end to end: LLM simulator + real Jira/GitHub clients on the Jira/GitHub simulators."""

from __future__ import annotations

from typing import TypeVar

from bot.events import (
    Failed,
    Finished,
    StatusChanged,
    TextDelta,
    ToolFinished,
    ToolStarted,
    WorkflowEvent,
    is_terminal,
)
from bot.ports import AgentRequest, Turn
from simulators.github import GitHubSimulator
from simulators.jira import JiraSimulator
from simulators.llm import LLMSimulator, ToolCall
from tests.bot.agent.conftest import LLM_KEY, AgentFactory, Ask

E = TypeVar("E")


def terminal(events: list[WorkflowEvent]) -> WorkflowEvent:
    assert [e for e in events if is_terminal(e)] == [events[-1]], events
    return events[-1]


def of(events: list[WorkflowEvent], kind: type[E]) -> list[E]:
    return [event for event in events if isinstance(event, kind)]


async def test_streamed_text_arrives_as_several_deltas_then_finished(llm: LLMSimulator, ask: Ask) -> None:
    answer = "OPS-2 is blocked by OPS-1, and the fix in acme/payments#42 has a failing check."
    llm.script([answer])

    events = await ask("why is OPS-2 blocked?")

    assert isinstance(events[0], StatusChanged)
    deltas = of(events, TextDelta)
    assert len(deltas) > 3
    assert "".join(d.text for d in deltas) == answer
    done = terminal(events)
    assert isinstance(done, Finished)
    assert done.text == answer
    assert done.usage.requests == 1 and done.usage.tool_calls == 0
    assert done.usage.input_tokens > 0 and done.usage.output_tokens > 0


async def test_why_is_ops2_blocked_uses_jira_then_github(
    ask: Ask, jira_sim: JiraSimulator, github_sim: GitHubSimulator
) -> None:
    events = await ask("why is OPS-2 blocked?")

    started = of(events, ToolStarted)
    names = [s.name for s in started]
    assert names[0] == "jira_get_issue" and started[0].summary == "Jira: OPS-2"
    assert started[0].arguments == {"key": "OPS-2"}
    assert "github_get_pull_request" in names
    assert names.index("github_get_pull_request") > 0
    finished = {f.call_id: f for f in of(events, ToolFinished)}
    assert all(f.ok for f in finished.values())
    assert finished[started[0].call_id].summary == "OPS-2 · Blocked"
    pr_call = next(s for s in started if s.name == "github_get_pull_request")
    assert pr_call.summary == "GitHub: acme/payments#42"
    assert "1 failing check" in finished[pr_call.call_id].summary
    done = terminal(events)
    assert isinstance(done, Finished)
    assert "OPS-1" in done.text
    assert "integration-tests" in done.text and "failing" in done.text
    assert done.usage.tool_calls == len(started) and done.usage.requests == 3
    assert jira_sim.requests_to("/rest/api/3/issue/OPS-2")
    assert any(r.path.endswith("/pulls/42") for r in github_sim.requests)


async def test_history_turns_reach_the_llm_in_order(llm: LLMSimulator, ask: Ask) -> None:
    history = (Turn("user", "why is OPS-2 blocked?"), Turn("assistant", "OPS-2 waits on OPS-1."))

    events = await ask("and who is assigned to that?", history=history)

    messages = llm.requests[0].body["messages"]
    conversation = [(m["role"], m["content"]) for m in messages if m["role"] in ("user", "assistant")]
    assert conversation == [
        ("user", "why is OPS-2 blocked?"),
        ("assistant", "OPS-2 waits on OPS-1."),
        ("user", "and who is assigned to that?"),
    ]
    # The simulated model reuses the keys from history, so the follow-up is answered from fresh lookups.
    assert [s.summary for s in of(events, ToolStarted)][:2] == ["Jira: OPS-2", "Jira: OPS-1"]
    done = terminal(events)
    assert isinstance(done, Finished) and "Dana Scully" in done.text


async def test_independent_tool_calls_run_concurrently(
    llm: LLMSimulator, make_agent: AgentFactory, jira_sim: JiraSimulator
) -> None:
    llm.script(
        [[ToolCall("jira_get_issue", {"key": "OPS-1"}), ToolCall("jira_get_issue", {"key": "OPS-2"})], "ok"]
    )
    jira_sim.stall_next(0.2, times=2)
    events: list[WorkflowEvent] = []
    requests_seen_at_first_finish: list[int] = []

    async for event in make_agent().answer(AgentRequest(question="OPS-1 and OPS-2?", user_id="U1")):
        if isinstance(event, ToolFinished) and not requests_seen_at_first_finish:
            issue_requests = [r for r in jira_sim.requests if "/issue/" in r.path]
            requests_seen_at_first_finish.append(len(issue_requests))
        events.append(event)

    # Both lookups were in flight before either finished: sequential calls would show one request here.
    assert requests_seen_at_first_finish == [2]
    kinds = [type(e).__name__ for e in events if isinstance(e, ToolStarted | ToolFinished)]
    assert kinds == ["ToolStarted", "ToolStarted", "ToolFinished", "ToolFinished"]
    assert isinstance(terminal(events), Finished)


async def test_step_budget_ends_in_failed(llm: LLMSimulator, make_agent: AgentFactory, ask: Ask) -> None:
    llm.script([[ToolCall("jira_get_issue", {"key": f"OPS-{n}"})] for n in (1, 2, 3, 4)])

    events = await ask("loop forever", agent=make_agent(max_steps=2))

    done = terminal(events)
    assert isinstance(done, Failed)
    assert "step budget (2 steps)" in done.message
    assert not of(events, Finished)
    assert done.usage.requests == 2
    # The trace of a failed run still shows what the model did before it failed.
    assert len(done.llm_steps) == 2
    assert all(step.model == "simulated-model" for step in done.llm_steps)


async def test_a_refused_model_request_is_not_a_step(llm: LLMSimulator, ask: Ask) -> None:
    llm.fail_next(401)

    done = terminal(await ask("why is OPS-2 blocked?"))

    assert isinstance(done, Failed) and done.llm_steps == ()


async def test_time_budget_ends_in_failed(llm: LLMSimulator, make_agent: AgentFactory, ask: Ask) -> None:
    llm.stall_next(30)

    events = await ask("why is OPS-2 blocked?", agent=make_agent(timeout=0.3))

    done = terminal(events)
    assert isinstance(done, Failed)
    assert "ran out of time" in done.message
    assert done.retryable


async def test_llm_server_error_ends_in_retryable_failed_without_secrets(llm: LLMSimulator, ask: Ask) -> None:
    llm.fail_next(500)

    events = await ask("why is OPS-2 blocked?")

    done = terminal(events)
    assert isinstance(done, Failed)
    assert done.retryable
    assert "HTTP 500" in done.message
    assert LLM_KEY not in done.message


async def test_llm_auth_error_is_final_and_names_the_variable(llm: LLMSimulator, ask: Ask) -> None:
    llm.fail_next(401)

    done = terminal(await ask("why is OPS-2 blocked?"))

    assert isinstance(done, Failed)
    assert not done.retryable
    assert "LLM_API_KEY" in done.message and LLM_KEY not in done.message


async def test_error_event_mid_stream_ends_in_failed_after_partial_text(llm: LLMSimulator, ask: Ask) -> None:
    llm.script(["one two three four five six seven eight nine ten eleven twelve"])
    llm.error_mid_stream_next()

    events = await ask("count for me")

    assert of(events, TextDelta)
    done = terminal(events)
    assert isinstance(done, Failed) and done.retryable


async def test_anthropic_provider_runs_the_same_flow(
    llm: LLMSimulator, make_agent: AgentFactory, ask: Ask
) -> None:
    agent = make_agent(provider="anthropic", base_url=llm.url)

    events = await ask("why is OPS-2 blocked?", agent=agent)

    assert {r.path for r in llm.requests} == {"/v1/messages"}
    assert [s.name for s in of(events, ToolStarted)][0] == "jira_get_issue"
    done = terminal(events)
    assert isinstance(done, Finished) and "integration-tests" in done.text
    assert len(of(events, TextDelta)) > 3


async def test_answer_can_be_abandoned_midway(llm: LLMSimulator, make_agent: AgentFactory) -> None:
    llm.script(["one two three four five six seven eight nine ten eleven twelve"])
    stream = make_agent().answer(AgentRequest(question="count", user_id="U1"))

    first, second = await anext(stream), await anext(stream)
    await stream.aclose()  # type: ignore[attr-defined]

    assert isinstance(first, StatusChanged) and isinstance(second, TextDelta)
    assert await anext(stream, None) is None
