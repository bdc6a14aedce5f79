"""The JQL translator against the LLM simulator (and its JQL against the Jira simulator)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bot.agent import PydanticJqlTranslator, build_jql_translator
from bot.agent.jql_translator import OUTPUT_TOOL, tidy
from bot.errors import InputRejected
from bot.text.explain import explain
from integrations.errors import RateLimited, Unavailable
from integrations.jira.client import JiraClient
from simulators.llm import LLMSimulator, ToolCall
from tests.bot.agent.conftest import LLM_KEY

Make = Callable[..., PydanticJqlTranslator]


@pytest.fixture
async def make_translator(llm: LLMSimulator) -> AsyncIterator[Make]:
    made: list[PydanticJqlTranslator] = []

    def make(**overrides: Any) -> PydanticJqlTranslator:
        options: dict[str, Any] = {
            "provider": "openai",
            "base_url": llm.base_url,
            "api_key": LLM_KEY,
            "model": "simulated-model",
            "llm_retries": 0,
        }
        options.update(overrides)
        translator = build_jql_translator(**options)
        made.append(translator)
        return translator

    yield make
    for translator in made:
        await translator.aclose()


def _offered_tools(body: dict[str, Any]) -> dict[str, Any]:
    return {tool["function"]["name"]: tool["function"] for tool in body.get("tools") or []}


async def test_plain_words_become_jql_through_the_submit_jql_output_tool(
    make_translator: Make, llm: LLMSimulator
) -> None:
    jql = await make_translator().to_jql("open bugs in OPS assigned to Dana")

    assert jql == 'project = OPS AND issuetype = Bug AND status != Done AND assignee = "Dana Scully"'
    (request,) = llm.chat_requests()
    tools = _offered_tools(request)
    assert list(tools) == [OUTPUT_TOOL], "the translator offers no read tools, only its output"
    assert {"jql", "explanation"} <= set(tools[OUTPUT_TOOL]["parameters"]["properties"])
    assert "open bugs in OPS assigned to Dana" in str(request["messages"])


async def test_the_draft_carries_the_explanation(make_translator: Make) -> None:
    draft = await make_translator().draft("my open tasks")

    assert draft.jql == "issuetype = Task AND status != Done AND assignee = currentUser()"
    assert draft.explanation == "Issues of type Task, open, assigned to you."


async def test_the_configured_projects_are_given_to_the_model_as_the_scope(
    make_translator: Make, llm: LLMSimulator
) -> None:
    jql = await make_translator(projects=["OPS"]).to_jql("payments dashboard")

    assert jql == 'project = OPS AND text ~ "payments dashboard"'
    assert "Projects: OPS" in str(llm.chat_requests()[0]["messages"])


async def test_the_translated_jql_runs_on_jira_and_finds_the_right_issues(
    make_translator: Make, jira: JiraClient
) -> None:
    jql = await make_translator().to_jql("open bugs in OPS assigned to Dana")

    result = await jira.search(jql)

    assert [hit.key for hit in result.issues] == ["OPS-1"]  # OPS-4 is Dana's bug too, but Done


async def test_code_fences_and_line_breaks_from_the_model_are_tidied(
    make_translator: Make, llm: LLMSimulator
) -> None:
    llm.script([[ToolCall(OUTPUT_TOOL, {"jql": "```jql\nproject = OPS\n  AND status = Blocked\n```"})]])

    assert await make_translator().to_jql("blocked OPS work") == "project = OPS AND status = Blocked"


async def test_a_model_that_will_not_use_the_tool_is_a_rejection_not_a_crash(
    make_translator: Make, llm: LLMSimulator
) -> None:
    llm.script(["Sure! Here is your JQL: project = OPS"] * 4)

    with pytest.raises(InputRejected) as caught:
        await make_translator().to_jql("open bugs")

    assert "JQL" in explain(caught.value)


async def test_a_rate_limited_llm_is_a_rate_limited_error_with_its_retry_after(
    make_translator: Make, llm: LLMSimulator
) -> None:
    llm.fail_next(429, {"Retry-After": "20"})

    with pytest.raises(RateLimited) as caught:
        await make_translator().to_jql("open bugs")

    assert caught.value.service == "llm"
    assert explain(caught.value) == "The language model is rate limiting the bot, try again in 20 s."


async def test_an_llm_that_does_not_answer_in_time_is_unavailable(
    make_translator: Make, llm: LLMSimulator
) -> None:
    llm.stall_next(30)

    with pytest.raises(Unavailable) as caught:
        await make_translator(timeout=0.3).to_jql("open bugs")

    assert "did not answer in time" in explain(caught.value)


@pytest.mark.parametrize("text", ["", "   ", "x" * 501])
async def test_empty_or_huge_requests_are_refused_before_any_llm_call(
    make_translator: Make, llm: LLMSimulator, text: str
) -> None:
    with pytest.raises(InputRejected):
        await make_translator().to_jql(text)

    assert llm.chat_requests() == []


def test_tidy_refuses_an_empty_query() -> None:
    with pytest.raises(InputRejected):
        tidy(" ``` ``` ")


async def test_the_anthropic_protocol_translates_the_same_way(
    make_translator: Make, llm: LLMSimulator
) -> None:
    translator = make_translator(provider="anthropic", base_url=llm.url)

    jql = await translator.to_jql("open bugs in OPS assigned to Dana")

    assert jql == 'project = OPS AND issuetype = Bug AND status != Done AND assignee = "Dana Scully"'
    assert llm.requests[-1].path == "/v1/messages"
