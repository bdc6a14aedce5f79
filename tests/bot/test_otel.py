"""OTLP export: nothing without an endpoint; with one, an agent run's spans reach a loopback collector
(decoding the real protobuf) when tracing closes."""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from bot.agent import build_agent
from bot.otel import SERVICE_NAME, start_tracing, traces_url
from bot.ports import AgentRequest
from simulators.base import LocalServer
from simulators.llm import LLMSimulator

EXPORTER_MODULE = "opentelemetry.exporter.otlp.proto.http.trace_exporter"


class Collector:
    def __init__(self) -> None:
        self.exports: list[ExportTraceServiceRequest] = []
        self.app = web.Application()
        self.app.router.add_post("/v1/traces", self._traces)

    async def _traces(self, request: web.Request) -> web.Response:
        self.exports.append(ExportTraceServiceRequest.FromString(await request.read()))
        body = ExportTraceServiceResponse().SerializeToString()
        return web.Response(body=body, content_type="application/x-protobuf")

    def span_names(self) -> set[str]:
        return {
            span.name
            for export in self.exports
            for resource in export.resource_spans
            for scope in resource.scope_spans
            for span in scope.spans
        }

    def service_names(self) -> set[str]:
        return {
            attribute.value.string_value
            for export in self.exports
            for resource in export.resource_spans
            for attribute in resource.resource.attributes
            if attribute.key == "service.name"
        }


@pytest.fixture
async def collector() -> AsyncIterator[tuple[Collector, str]]:
    received = Collector()
    async with LocalServer(received.app) as server:
        yield received, server.url


async def _ask(llm: LLMSimulator, question: str) -> None:
    agent = build_agent(
        provider="openai",
        base_url=llm.base_url,
        api_key="sk-otel",
        model="simulated-model",
        jira=None,
        github=None,
    )
    try:
        _ = [event async for event in agent.answer(AgentRequest(question, "U1"))]
    finally:
        await agent.aclose()


def test_the_signal_url_is_the_base_endpoint_plus_v1_traces() -> None:
    assert traces_url("http://collector:4318") == "http://collector:4318/v1/traces"
    assert traces_url("http://collector:4318/") == "http://collector:4318/v1/traces"


def test_without_an_endpoint_nothing_is_set_up() -> None:
    assert start_tracing(None) is None
    assert start_tracing("") is None


def test_without_the_otel_extra_it_warns_and_carries_on(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, EXPORTER_MODULE, None)  # as if the extra were not installed

    with caplog.at_level(logging.WARNING, logger="bot.otel"):
        assert start_tracing("http://127.0.0.1:4318") is None

    assert "OpenTelemetry is not installed" in caplog.text


async def test_closing_flushes_the_runs_spans_to_the_collector(
    collector: tuple[Collector, str], llm: LLMSimulator
) -> None:
    received, url = collector
    tracing = start_tracing(url)
    assert tracing is not None
    try:
        await _ask(llm, "hello there")
    finally:
        await tracing.aclose()

    assert {"invoke_agent chatops", "chat simulated-model"} <= received.span_names()
    assert received.service_names() == {SERVICE_NAME}
