"""The agent's typed read tools over Jira and GitHub, and the registry that lists them.

Each tool has a pydantic argument model (``extra="forbid"``, constrained; its JSON schema is what
the LLM sees), calls a reader Protocol that ``integrations/`` implements, and hands the model the
result serialised as JSON inside an untrusted-data fence. Upstream errors become a short failed
tool result the model can read, not a crash. Every tool here is ``side_effect="read"``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_ai import RunContext, Tool
from pydantic_ai.exceptions import ModelRetry, ToolFailed

from bot.agent.untrusted import fence
from bot.runs import step
from integrations.errors import (
    NotFound,
    PermissionDenied,
    RateLimited,
    Unavailable,
    UpstreamError,
)

Service = Literal["jira", "github"]
SideEffect = Literal["read", "write"]


# -- argument models (their JSON schema is the tool's parameter schema) ----------------------


class Arguments(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# -- the registry ----------------------------------------------------------------------------

A = TypeVar("A", bound=BaseModel)
R = TypeVar("R", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class ToolSpec(Generic[A, R]):
    """One tool: what the model sees (name, description, argument schema) and how it runs."""

    name: str
    service: Service
    description: str
    arguments: type[A]
    call: Callable[[A], Awaitable[R]]
    describe_call: Callable[[A], str]  # e.g. "Jira: OPS-2"
    describe_result: Callable[[R], str]  # e.g. "OPS-2 · Blocked"
    side_effect: SideEffect = "read"

    def summarize_call(self, arguments: Mapping[str, Any]) -> str:
        """A short human text for the call, even when its arguments are invalid."""
        try:
            return self.describe_call(self.arguments.model_validate(arguments))
        except ValidationError:
            return f"{_LABELS[self.service]}: invalid arguments"


@dataclass(frozen=True, slots=True)
class ToolInfo:
    """What the registry says about a tool, without a client behind it."""

    name: str
    service: Service
    side_effect: SideEffect
    # A write never runs inside the agent loop: the agent proposes it, the asker approves it.
    requires_approval: bool = False


_LABELS: dict[Service, str] = {"jira": "Jira", "github": "GitHub"}

TOOL_REGISTRY: tuple[ToolInfo, ...] = (
    ToolInfo("jira_get_issue", "jira", "read"),
    ToolInfo("jira_search", "jira", "read"),
    ToolInfo("jira_count", "jira", "read"),
    ToolInfo("jira_transitions", "jira", "read"),
    ToolInfo("jira_projects", "jira", "read"),
    ToolInfo("github_get_pull_request", "github", "read"),
    ToolInfo("github_get_issue", "github", "read"),
    ToolInfo("github_search", "github", "read"),
    ToolInfo("github_list_pull_requests", "github", "read"),
    ToolInfo("github_compare", "github", "read"),
    ToolInfo("github_workflow_runs", "github", "read"),
    ToolInfo("github_job_log", "github", "read"),
)

# The write tools (bot/agent/write_tools.py): not offered as ordinary tools; each needs approval.
WRITE_TOOL_REGISTRY: tuple[ToolInfo, ...] = (
    ToolInfo("jira_create_issue", "jira", "write", requires_approval=True),
    ToolInfo("jira_add_comment", "jira", "write", requires_approval=True),
    ToolInfo("jira_transition", "jira", "write", requires_approval=True),
    ToolInfo("jira_assign", "jira", "write", requires_approval=True),
    ToolInfo("github_create_issue", "github", "write", requires_approval=True),
    ToolInfo("github_comment", "github", "write", requires_approval=True),
    ToolInfo("github_rerun_failed_jobs", "github", "write", requires_approval=True),
)


def short(text: str, limit: int = 48) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


# -- adapting a spec to pydantic-ai ----------------------------------------------------------


@dataclass(slots=True)
class ToolNotes:
    """Per-run notes the tools leave for the runner: a short outcome summary per tool call id."""

    summaries: dict[str, str] = field(default_factory=dict)
    channel_id: str = ""  # where the run was asked: MCP servers may be limited to some channels
    unavailable: set[str] = field(default_factory=set)  # MCP servers this run had to go without
    resuming: frozenset[str] = frozenset()  # tools whose approved calls this run reports on
    run_id: str = ""  # whose search grant ``slack_search`` uses (``bot.agent.discussion``)
    searchable: bool = False  # the run came with a search grant: ``slack_search`` is offered


def as_agent_tool(spec: ToolSpec[Any, Any], *, output_chars: int) -> Tool[ToolNotes]:
    """A pydantic-ai tool that validates, calls, fences and truncates, recording a summary."""

    async def run(ctx: RunContext[ToolNotes], **raw: Any) -> str:
        call_id = ctx.tool_call_id or ""
        try:
            arguments = spec.arguments.model_validate(raw)
        except ValidationError as exc:
            ctx.deps.summaries[call_id] = "invalid arguments"
            raise ModelRetry(f"Invalid arguments for {spec.name}: {validation_summary(exc)}") from None
        # A step: a resumed run gets this read's recorded outcome instead of calling again.
        outcome = await step(f"tool.{spec.name}", _call, spec, arguments)
        ctx.deps.summaries[call_id] = outcome.summary
        if not outcome.ok:
            detail = fence(outcome.body, source=spec.service, tool=spec.name, limit=300)
            raise ToolFailed(f"{spec.name} failed ({outcome.summary}).\n{detail}")
        return fence(outcome.body, source=spec.service, tool=spec.name, limit=output_chars)

    schema = spec.arguments.model_json_schema()
    schema.pop("title", None)
    return Tool[ToolNotes].from_schema(
        run, name=spec.name, description=spec.description, json_schema=schema, takes_ctx=True
    )


@dataclass(frozen=True, slots=True)
class ToolOutcome:
    """A read's outcome as a run's checkpoint records it: plain values, unlike the exception."""

    ok: bool
    summary: str  # the result's description, or the error's label
    body: str  # the result as JSON, or the upstream's error message


async def _call(spec: ToolSpec[Any, Any], arguments: BaseModel) -> ToolOutcome:
    try:
        result = await spec.call(arguments)
    except UpstreamError as exc:
        return ToolOutcome(False, _error_label(exc), exc.message)
    return ToolOutcome(True, spec.describe_result(result), result.model_dump_json())


def validation_summary(exc: ValidationError) -> str:
    """The first few problems of invalid arguments, each naming its field, on one line."""
    problems = [
        f"{'.'.join(str(part) for part in error['loc']) or 'arguments'}: {error['msg']}"
        for error in exc.errors()
    ]
    return "; ".join(problems[:5])


def _error_label(exc: UpstreamError) -> str:
    if isinstance(exc, NotFound):
        return "not found"
    if isinstance(exc, PermissionDenied):
        return "permission denied"
    if isinstance(exc, RateLimited):
        return "rate limited"
    if isinstance(exc, Unavailable):
        return "unavailable"
    return "request rejected"
