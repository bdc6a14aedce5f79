"""Prometheus metrics: what the bot is doing, how fast, and what it costs in calls and tokens.

One ``Metrics`` owns its own ``CollectorRegistry`` (never the process-global one), so two bots
in one process, or two tests, never see each other's numbers. Labels are bounded on purpose:
request kinds, run outcomes, tool names of our registry, Slack method names, upstream services,
the configured model, and MCP servers of ``MCP_CONFIG`` with a capped number of their tool names.
No user, channel or team id ever becomes a label.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Collection
from types import SimpleNamespace
from typing import Any, Literal

import aiohttp
import httpx
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bot.events import Failed, Finished, Interrupted, TextDelta, ToolFinished, WorkflowEvent
from bot.ports import Sink, SinkWrapper
from integrations.retry import is_rate_limited

RequestKind = Literal["command", "event", "action", "other"]
CONTENT_TYPE = CONTENT_TYPE_LATEST
OTHER = "other"

# Slack answers within a second or two; runs take tens of seconds.
_FAST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_RUN_BUCKETS = (0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0)
_MCP_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 60.0)
_SLACK_METHOD = re.compile(r"[a-z]+(?:\.[a-zA-Z]+){1,3}")
# An MCP server names its own tools, and a hostile one could name a new tool per call: past
# this many (server, tool) pairs, further tools count as "other".
_MCP_TOOL_LABELS = 200
_MCP_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")


class Metrics:
    """Every metric the bot exports, registered in a registry of its own."""

    def __init__(
        self,
        *,
        model: str = "unknown",
        tools: Collection[str] = (),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.clock = clock
        self._model = model[:64] or "unknown"
        self._tools = frozenset(tools)
        r = self.registry
        self.requests = Histogram(
            "chatops_request_seconds", "Slack requests at the HTTP edge, by kind", ["kind"],
            buckets=_FAST_BUCKETS, registry=r,
        )  # fmt: skip
        self.acks = Histogram(
            "chatops_ack_seconds", "Time until Slack's request was acknowledged, by kind", ["kind"],
            buckets=_FAST_BUCKETS, registry=r,
        )  # fmt: skip
        self.runs = Counter("chatops_runs", "Runs ended, by outcome", ["outcome"], registry=r)
        self.run_seconds = Histogram(
            "chatops_run_duration_seconds", "From submission to the end of a run, by outcome", ["outcome"],
            buckets=_RUN_BUCKETS, registry=r,
        )  # fmt: skip
        self.first_reply = Histogram(
            "chatops_first_reply_seconds",
            "From submission until the first answer text (or the outcome) reached the thread",
            buckets=_RUN_BUCKETS, registry=r,
        )  # fmt: skip
        self.tool_seconds = Histogram(
            "chatops_tool_call_seconds",
            "Tool call latency, by tool",
            ["tool"],
            buckets=_FAST_BUCKETS,
            registry=r,
        )
        self.tool_errors = Counter(
            "chatops_tool_errors", "Tool calls that failed, by tool", ["tool"], registry=r
        )
        self.llm_tokens = Counter(
            "chatops_llm_tokens",
            "LLM tokens, by model and direction (in/out)",
            ["model", "direction"],
            registry=r,
        )
        self.llm_requests = Counter("chatops_llm_requests", "LLM requests, by model", ["model"], registry=r)
        self.slack_calls = Counter(
            "chatops_slack_api_calls", "Slack Web API calls (each attempt), by method", ["method"], registry=r
        )
        self.slack_429s = Counter(
            "chatops_slack_rate_limited", "Slack Web API 429 answers, by method", ["method"], registry=r
        )
        self.upstream_429s = Counter(
            "chatops_upstream_rate_limited", "Rate-limit answers from Jira, GitHub or the LLM, by service",
            ["service"], registry=r,
        )  # fmt: skip
        self.mcp_calls = Counter(
            "chatops_mcp_calls", "MCP tool calls, by server, tool and outcome",
            ["server", "tool", "outcome"], registry=r,
        )  # fmt: skip
        self.mcp_call_seconds = Histogram(
            "chatops_mcp_call_seconds", "MCP tool call latency, by server", ["server"],
            buckets=_MCP_BUCKETS, registry=r,
        )  # fmt: skip
        self.mcp_tool_list_changes = Counter(
            "chatops_mcp_tool_list_changes", "MCP servers' tool lists seen changed, by server", ["server"],
            registry=r,
        )  # fmt: skip
        self._mcp_tools: set[tuple[str, str]] = set()
        self.in_flight = Gauge("chatops_runs_in_flight", "Runs executing now", registry=r)
        self.queue_depth = Gauge(
            "chatops_queue_depth", "Runs waiting for a slot or for their thread", registry=r
        )

    # -- export -------------------------------------------------------------------------------

    def exposition(self) -> bytes:
        """The Prometheus text format of everything registered here."""
        return generate_latest(self.registry)

    def watch_runs(self, running: Callable[[], int], queued: Callable[[], int]) -> None:
        """Read the gauges from this process's runs (executing; submitted, not yet started) at
        scrape time, so they can never drift."""
        self.in_flight.set_function(lambda: float(running()))
        self.queue_depth.set_function(lambda: float(queued()))

    # -- feeding ------------------------------------------------------------------------------

    def name_tools(self, names: Collection[str]) -> None:
        """The tools the agent offers: the only tool names that become label values."""
        self._tools = frozenset(names)

    def tool_label(self, name: str) -> str:
        # A model can call a tool that does not exist; its made-up name must not become a series.
        return name if name in self._tools else OTHER

    def observe_event(self, event: WorkflowEvent) -> None:
        """Tool steps and token usage, as a run's events pass by."""
        if isinstance(event, ToolFinished):
            tool = self.tool_label(event.name)
            self.tool_seconds.labels(tool).observe(event.duration_ms / 1000)
            if not event.ok:
                self.tool_errors.labels(tool).inc()
        elif isinstance(event, Finished | Failed):
            usage = event.usage
            self.llm_tokens.labels(self._model, "in").inc(usage.input_tokens)
            self.llm_tokens.labels(self._model, "out").inc(usage.output_tokens)
            self.llm_requests.labels(self._model).inc(usage.requests)

    def slack_call(self, method: str, status: int) -> None:
        label = method if _SLACK_METHOD.fullmatch(method) else OTHER
        self.slack_calls.labels(label).inc()
        if status == 429:
            self.slack_429s.labels(label).inc()

    def llm_status(self, status: int) -> None:
        if status == 429:
            self.upstream_429s.labels("llm").inc()

    def mcp_call(self, server: str, tool: str, outcome: str, seconds: float) -> None:
        """One call to an MCP server's tool (``bot.agent.mcp.MCPObserver``)."""
        server = _mcp_label(server)
        self.mcp_calls.labels(server, self._mcp_tool_label(server, tool), outcome).inc()
        self.mcp_call_seconds.labels(server).observe(seconds)

    def mcp_tool_list_changed(self, server: str) -> None:
        self.mcp_tool_list_changes.labels(_mcp_label(server)).inc()

    def _mcp_tool_label(self, server: str, tool: str) -> str:
        if (server, tool) not in self._mcp_tools:
            if len(self._mcp_tools) >= _MCP_TOOL_LABELS or not _MCP_NAME.fullmatch(tool):
                return OTHER
            self._mcp_tools.add((server, tool))
        return tool

    def metered(self, sink: Sink) -> Sink:
        """``sink`` wrapped so that the run it renders is measured from now on."""
        return MeteredSink(sink, self)

    def slack_trace(self) -> aiohttp.TraceConfig:
        """Counts every Slack Web API attempt (retries too) and its 429s, by method."""
        trace = aiohttp.TraceConfig()

        async def on_end(_session: aiohttp.ClientSession, _ctx: SimpleNamespace, params: Any) -> None:
            self.slack_call(params.url.path.rsplit("/", 1)[-1], params.response.status)

        trace.on_request_end.append(on_end)
        return trace

    def upstream_transport(
        self, service: str, inner: httpx.AsyncBaseTransport | None = None
    ) -> httpx.AsyncBaseTransport:
        """A transport for an integrations client that counts every rate-limited attempt."""
        return RateLimitCountingTransport(inner or httpx.AsyncHTTPTransport(), service, self)


class MeteredSink(SinkWrapper):
    """Passes events on to a sink and measures the run they belong to: outcome, duration, first reply."""

    def __init__(self, inner: Sink, metrics: Metrics) -> None:
        super().__init__(inner)
        self._metrics = metrics
        self._started = metrics.clock()
        self._replied = False

    async def emit(self, event: WorkflowEvent) -> None:
        metrics = self._metrics
        metrics.observe_event(event)
        outcome = _outcome(event)
        try:
            await super().emit(event)
        finally:
            elapsed = metrics.clock() - self._started
            if not self._replied and (isinstance(event, TextDelta) or outcome is not None):
                self._replied = True
                metrics.first_reply.observe(elapsed)
            if outcome is not None:
                metrics.runs.labels(outcome).inc()
                metrics.run_seconds.labels(outcome).observe(elapsed)


class RateLimitCountingTransport(httpx.AsyncBaseTransport):
    """Innermost transport: sees each attempt the retrying transport makes, 429s included."""

    def __init__(self, inner: httpx.AsyncBaseTransport, service: str, metrics: Metrics) -> None:
        self._inner = inner
        self._service = service
        self._metrics = metrics

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        if response.status_code in (403, 429) and is_rate_limited(response):
            self._metrics.upstream_429s.labels(self._service).inc()
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


def _mcp_label(name: str) -> str:
    return name if _MCP_NAME.fullmatch(name) else OTHER


def _outcome(event: WorkflowEvent) -> str | None:
    if isinstance(event, Finished):
        return "succeeded"
    if isinstance(event, Failed):
        return "failed"
    if isinstance(event, Interrupted):
        return "interrupted"
    return None


def request_kind(content_type: str, body: str) -> RequestKind:
    """What a request to /slack/events is, from its shape: Events API JSON, a slash command, or a click."""
    if content_type.startswith("application/json"):
        return "event"
    if body.startswith("payload=") or "&payload=" in body:
        return "action"
    if body.startswith("command=") or "&command=" in body:
        return "command"
    return "other"
