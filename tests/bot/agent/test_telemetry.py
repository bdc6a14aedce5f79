"""Agent telemetry: once instrumented, an agent run emits gen_ai spans to the tracer provider, without
the messages' content; stopped, it emits nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from bot.agent.telemetry import instrument_agents, stop_instrumenting
from tests.bot.agent.conftest import AgentFactory, Ask

QUESTION = "why is OPS-2 blocked?"


@pytest.fixture
def exported() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrument_agents(provider)
    yield exporter
    stop_instrumenting()  # the switch is global: never leak it into other tests
    provider.shutdown()


async def test_a_run_emits_agent_model_and_tool_spans(
    exported: InMemorySpanExporter, make_agent: AgentFactory, ask: Ask
) -> None:
    await ask(QUESTION, agent=make_agent())

    names = {span.name for span in exported.get_finished_spans()}
    assert {"invoke_agent chatops", "chat simulated-model", "execute_tool jira_get_issue"} <= names


async def test_no_span_carries_the_prompt_or_the_answer(
    exported: InMemorySpanExporter, make_agent: AgentFactory, ask: Ask
) -> None:
    events = await ask(QUESTION, agent=make_agent())

    answer = getattr(events[-1], "text", "")
    assert answer, events[-1]
    recorded = repr([(span.attributes, span.events) for span in exported.get_finished_spans()])
    assert QUESTION not in recorded
    assert answer[:40] not in recorded


async def test_after_stopping_agents_emit_nothing(
    exported: InMemorySpanExporter, make_agent: AgentFactory, ask: Ask
) -> None:
    stop_instrumenting()

    await ask(QUESTION, agent=make_agent())

    assert exported.get_finished_spans() == ()
