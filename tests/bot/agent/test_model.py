"""`build_model`: which wire protocol each configured endpoint is spoken to with."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx2
import pytest
from pydantic import BaseModel

from bot.agent.drafter import PydanticDrafter
from bot.agent.drafting import DraftRequest
from bot.agent.model import Provider, build_model
from simulators.llm import LLMSimulator, ToolCall


class Answer(BaseModel):
    text: str


REQUEST = DraftRequest(Answer, "submit_answer", "Answer with submit_answer.", "Say hi.")


@pytest.fixture
async def http() -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient() as client:
        yield client


async def _ask(llm: LLMSimulator, http: httpx2.AsyncClient, provider: Provider, base_url: str) -> str:
    llm.script([[ToolCall("submit_answer", {"text": "hi"})]])
    model = build_model(
        provider=provider, base_url=base_url, api_key=None, model="simulated-model", http_client=http
    )
    drafted = await PydanticDrafter(model=model, llm_retries=0).draft(REQUEST)
    assert drafted.value.text == "hi"
    return llm.requests[-1].path


async def test_anthropic_speaks_the_messages_api_even_without_a_key(
    llm: LLMSimulator, http: httpx2.AsyncClient
) -> None:
    assert await _ask(llm, http, "anthropic", llm.url) == "/v1/messages"


async def test_any_other_openai_server_speaks_chat_completions_even_without_a_key(
    llm: LLMSimulator, http: httpx2.AsyncClient
) -> None:
    assert await _ask(llm, http, "openai", llm.base_url) == "/v1/chat/completions"


def test_only_openai_itself_gets_the_openai_only_protocol_features(http: httpx2.AsyncClient) -> None:
    def system(base_url: str) -> str:
        return build_model(
            provider="openai", base_url=base_url, api_key="sk-x", model="gpt-4o-mini", http_client=http
        ).system

    assert system("https://api.openai.com/v1") == "openai"
    assert system("http://127.0.0.1:11434/v1") == "openai-compatible"
    assert system("https://openrouter.ai/api/v1") == "openai-compatible"
