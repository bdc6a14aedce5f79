"""OpenTelemetry for agent runs: pydantic-ai's own gen_ai spans (agent run, model requests, tool calls).

Off unless ``bot.otel`` turns it on. Message content is never recorded: prompts carry thread
history and upstream data, which do not belong in a tracing backend.
"""

from __future__ import annotations

from opentelemetry.trace import TracerProvider
from pydantic_ai import Agent
from pydantic_ai.models.instrumented import InstrumentationSettings


def instrument_agents(tracer_provider: TracerProvider) -> None:
    """Every agent built from now on emits spans to ``tracer_provider``."""
    Agent.instrument_all(
        InstrumentationSettings(
            tracer_provider=tracer_provider, include_content=False, include_binary_content=False
        )
    )


def stop_instrumenting() -> None:
    Agent.instrument_all(False)
