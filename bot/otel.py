"""OpenTelemetry export: spans of every run to an OTLP/HTTP collector, only when one is configured.

With ``OTEL_EXPORTER_OTLP_ENDPOINT`` unset (the default) nothing is set up and nothing leaves
the process. Set, the agent's gen_ai spans (``invoke_agent``, ``chat <model>``,
``execute_tool <tool>``) go to ``<endpoint>/v1/traces``; ``OTEL_EXPORTER_OTLP_HEADERS`` and the
other standard variables are read by the exporter itself. Needs the ``otel`` extra.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

SERVICE_NAME = "chatops-bot"


@dataclass
class Tracing:
    """A running export; ``aclose()`` flushes what is buffered and stops instrumenting."""

    provider: Any  # opentelemetry.sdk.trace.TracerProvider, imported only when tracing is on

    async def aclose(self) -> None:
        from bot.agent import stop_instrumenting

        stop_instrumenting()
        # The exporter's flush is a blocking HTTP call.
        await asyncio.to_thread(self.provider.shutdown)


def start_tracing(endpoint: str | None) -> Tracing | None:
    """Export spans to ``endpoint`` (an OTLP/HTTP base URL); None when it is unset or OTel is missing."""
    if not endpoint:
        return None
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        log.warning("OTEL_EXPORTER_OTLP_ENDPOINT is set but OpenTelemetry is not installed (extra: otel)")
        return None
    from bot.agent import instrument_agents

    provider = TracerProvider(resource=Resource.create({"service.name": SERVICE_NAME}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=traces_url(endpoint))))
    instrument_agents(provider)
    log.info("exporting OpenTelemetry spans over OTLP/HTTP")
    return Tracing(provider)


def traces_url(endpoint: str) -> str:
    """The signal URL the OTLP spec derives from the base endpoint."""
    return endpoint.rstrip("/") + "/v1/traces"
