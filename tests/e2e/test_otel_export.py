"""OpenTelemetry: with OTEL_EXPORTER_OTLP_ENDPOINT set, a run's gen_ai spans reach an OTLP/HTTP collector.

The collector is a loopback aiohttp server decoding the real protobuf the exporter sends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from bot.config import Settings
from bot.otel import start_tracing
from simulators.base import LocalServer
from tests.e2e.conftest import BOT_TOKEN, SIGNING_SECRET, StartBot, Upstreams
from tests.e2e.slack_requests import SlackRequests

QUESTION = "why is OPS-2 blocked?"


class Collector:
    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.app = web.Application()
        self.app.router.add_post("/v1/traces", self._traces)

    async def _traces(self, request: web.Request) -> web.Response:
        self.bodies.append(await request.read())
        response = ExportTraceServiceResponse().SerializeToString()
        return web.Response(body=response, content_type="application/x-protobuf")

    def spans(self) -> list[tuple[str, dict[str, object]]]:
        found = []
        for body in self.bodies:
            export = ExportTraceServiceRequest.FromString(body)
            for resource in export.resource_spans:
                for scope in resource.scope_spans:
                    for span in scope.spans:
                        attributes = {a.key: _value(a.value) for a in span.attributes}
                        found.append((span.name, attributes))
        return found


def _value(value: object) -> object:
    field = value.WhichOneof("value")  # type: ignore[attr-defined]
    return getattr(value, field) if field else None


@pytest.fixture
async def collector() -> AsyncIterator[tuple[Collector, str]]:
    sink = Collector()
    async with LocalServer(sink.app) as server:
        yield sink, server.url


@pytest.fixture
def settings(upstreams: Upstreams, database_url: str, collector: tuple[Collector, str]) -> Settings:
    return Settings.load(
        "serve",
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=upstreams.slack.api_url,
        database_url=database_url,
        jira_base_url=upstreams.jira.url,
        jira_email="bot@acme.test",
        jira_api_token="jira-e2e-token",
        llm_base_url=upstreams.llm.base_url,
        llm_api_key="sk-e2e-key",
        llm_model="simulated-model",
        otel_exporter_otlp_endpoint=collector[1],
    )


async def test_a_run_is_exported_as_gen_ai_spans_without_message_content(
    start_bot: StartBot,
    upstreams: Upstreams,
    slack_requests: SlackRequests,
    collector: tuple[Collector, str],
) -> None:
    bot = await start_bot()
    await bot.post(*slack_requests.command(QUESTION))
    await upstreams.slack.wait_for(lambda: any(c.ok for c in upstreams.slack.calls("chat.stopStream")), 20)
    await bot.settle()
    await bot.stop()  # shutting down flushes the batch of spans

    sink = collector[0]
    spans = dict(sink.spans())
    assert "invoke_agent chatops" in spans
    assert spans["chat simulated-model"]["gen_ai.request.model"] == "simulated-model"
    assert spans["execute_tool jira_get_issue"]["gen_ai.tool.name"] == "jira_get_issue"
    exported = b"".join(sink.bodies)
    assert QUESTION.encode() not in exported, "prompts and answers are not exported"


def test_nothing_is_set_up_without_an_endpoint() -> None:
    assert start_tracing(None) is None and start_tracing("") is None
