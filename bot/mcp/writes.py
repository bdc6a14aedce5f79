"""The write tools of `chatops mcp`: the agent's write specs, each approved in Slack, and
``approval_status``.

A write call validates its arguments with the spec's model (invalid: a tool error naming the
fields, nothing asked), then waits for its approval (``WriteRequests``) while sending progress
notifications, and answers the outcome as text plus structured content: ``status`` (executed,
failed, denied, expired, or pending_approval / approved while it is still open), the
``approval_id``, and the result and its URL once there is one. Only a failed write is a tool
error: a denial is an answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.tools.base import Tool
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field, ValidationError

from bot.agent import validation_summary
from bot.mcp.caller import client_name
from bot.mcp.journal import CallJournal
from bot.mcp.requests import CardNotPosted, WriteRequests
from bot.mcp.server import READ_ONLY, STATUS_TOOL, ServedSpec, failed, mcp_tool, text_of
from bot.store import ApprovalRecord

WRITE = ToolAnnotations(
    read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=True
)
STATUS = READ_ONLY.model_copy(update={"open_world_hint": False})
STATUS_DESCRIPTION = (
    "The state of a write asked for through this server, by the approval_id a write call answered "
    "with: pending_approval, approved (being made), executed (with the result and its link), "
    "failed, denied or expired. Read-only; call it instead of sending the write again."
)
_OPEN = {"pending": "pending_approval", "approved": "approved"}


class WriteSpec(ServedSpec, Protocol):
    """What a write tool needs of one of the agent's write specs (``bot.agent.WriteToolSpec``)."""

    @property
    def preview(self) -> Callable[[Any], str]: ...

    @property
    def describe_call(self) -> Callable[[Any], str]: ...


class StatusArgs(BaseModel):
    approval_id: str = Field(
        pattern=r"^[0-9a-f]{32}$", description="The approval_id a write call answered with."
    )


def write_tools(specs: Sequence[WriteSpec], requests: WriteRequests, journal: CallJournal) -> list[Tool]:
    """Every write spec as an MCP tool, and ``approval_status``."""
    return [*(write_tool(spec, requests, journal) for spec in specs), status_tool(requests, journal)]


def write_tool(spec: WriteSpec, requests: WriteRequests, journal: CallJournal) -> Tool:
    description = (
        f"{spec.description.split('. Nothing', 1)[0]}. A person approves or denies it in Slack "
        "first; the call waits about a minute, then answers the outcome or pending_approval with "
        f"an approval_id for {STATUS_TOOL}."
    )

    async def call(arguments: dict[str, Any], ctx: Context[Any, Any]) -> CallToolResult:
        client = client_name(ctx)
        try:
            validated = spec.arguments.model_validate(arguments)
        except ValidationError as exc:
            message = f"invalid arguments for {spec.name}: {validation_summary(exc)}; nothing was asked for"
            await journal.once(client, spec.name, arguments, ok=False, summary=message, ms=0)
            return failed(message)

        async def progress(done: float, total: float, message: str) -> None:
            await ctx.report_progress(done, total, message)

        try:
            record = await requests.ask(spec, validated, validated.model_dump(mode="json"), client, progress)
        except CardNotPosted as exc:
            return failed(
                f"{spec.name} could not be put up for approval in Slack ({exc}); nothing was changed"
            )
        return outcome(record)

    return mcp_tool(spec.name, description, spec.arguments, WRITE, call)


def status_tool(requests: WriteRequests, journal: CallJournal) -> Tool:
    async def call(arguments: dict[str, Any], ctx: Context[Any, Any]) -> CallToolResult:
        client = client_name(ctx)
        started = time.monotonic()
        try:
            approval_id = StatusArgs.model_validate(arguments).approval_id
        except ValidationError as exc:
            result = failed(f"invalid arguments for {STATUS_TOOL}: {validation_summary(exc)}")
        else:
            record = await requests.status(approval_id, client)
            result = outcome(record) if record else failed(f"no request {approval_id} of this client")
        ms = int((time.monotonic() - started) * 1000)
        summary = text_of(result)[:200]
        await journal.once(client, STATUS_TOOL, arguments, ok=not result.is_error, summary=summary, ms=ms)
        return result

    return mcp_tool(STATUS_TOOL, STATUS_DESCRIPTION, StatusArgs, STATUS, call)


def outcome(record: ApprovalRecord) -> CallToolResult:
    """The request as the client reads it: a sentence, and the same as structured content."""
    status = _OPEN.get(record.status, record.status)
    structured: dict[str, Any] = {"status": status, "approval_id": record.id, "tool": record.tool}
    if record.decided:
        structured |= {"result": record.result, "url": record.result_url, "decided_by": record.decided_by}
    text = _sentence(record)
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content=structured,
        is_error=record.status == "failed",
    )


def _sentence(record: ApprovalRecord) -> str:
    link = f" ({record.result_url})" if record.result_url else ""
    sentences: Mapping[str, str] = {
        "executed": f"Approved in Slack and done: {record.result or 'done'}{link}",
        "failed": f"Approved in Slack, but the write failed: {record.result or 'unknown error'}",
        "denied": f"Denied: {record.result}" if record.result else "Denied in Slack; nothing was changed.",
        "expired": "Nobody approved it in time: the request expired and nothing was changed.",
        "approved": f"Approved in Slack; the change is being made. Ask {STATUS_TOOL} with "
        f"approval_id {record.id} for the result.",
    }
    return sentences.get(
        record.status,
        f"Waiting for approval in Slack; nothing has been changed yet. Call {STATUS_TOOL} with "
        f"approval_id {record.id} later for the outcome (sending the same call again joins this "
        "request).",
    )
