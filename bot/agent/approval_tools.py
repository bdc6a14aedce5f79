"""Write tools as the model sees them: deferred, approval-required pydantic-ai tools that never write.

A write tool offered to the model has the write's name, description and argument schema, and is
marked ``requires_approval``: when the model calls it the run ends with the call pending
(pydantic-ai's ``DeferredToolRequests``) instead of running anything. The write itself happens
outside the agent loop, after the asker's click, exactly once (``bot.approvals.desk``). When the run
resumes, the approved call's function only hands the model the recorded outcome, which arrives as
per-call metadata of the deferred results; no code path here can reach Jira or GitHub.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from pydantic import BaseModel, ValidationError
from pydantic_ai import RunContext, Tool
from pydantic_ai.exceptions import ModelRetry, ToolFailed

from bot.agent.tools import ToolNotes, validation_summary
from bot.agent.untrusted import fence

OUTCOME = "outcome"
OK = "ok"


class ProposableWrite(Protocol):
    """What the model needs to know of a write tool: its name, purpose and argument schema."""

    @property
    def name(self) -> str: ...

    @property
    def description(self) -> str: ...

    @property
    def arguments(self) -> type[BaseModel]: ...

    def summarize_call(self, arguments: Mapping[str, Any]) -> str:
        """A short human text for the call, e.g. "Jira: comment on OPS-2"."""
        ...

    def refusal(self, arguments: Mapping[str, Any]) -> str | None:
        """Why this call may not be proposed at all (e.g. outside the allowlists), or None."""
        ...


def as_approval_tool(spec: ProposableWrite) -> Tool[ToolNotes]:
    """An approval-required tool whose approved call reports the outcome recorded outside the run."""

    async def report(ctx: RunContext[ToolNotes], **_raw: Any) -> str:
        call_id = ctx.tool_call_id or ""
        outcome = recorded_outcome(ctx.tool_call_metadata)
        if outcome is None:
            # Approved without a recorded outcome: nothing was written, and nothing will be from here.
            ctx.deps.summaries[call_id] = "not executed"
            raise ToolFailed(f"{spec.name} was not executed.")
        text, ok = outcome
        ctx.deps.summaries[call_id] = text
        fenced = fence(text, source="approval", tool=spec.name, limit=1000)
        if not ok:
            raise ToolFailed(f"{spec.name} failed after approval.\n{fenced}")
        return fenced

    def check(_ctx: RunContext[ToolNotes], **raw: Any) -> None:
        # Runs before the call is deferred: a proposal with invalid arguments goes back to the model.
        try:
            spec.arguments.model_validate(raw)
        except ValidationError as exc:
            raise ModelRetry(f"Invalid arguments for {spec.name}: {validation_summary(exc)}") from None
        refused = spec.refusal(raw)
        if refused is not None:  # never shown to the asker as a card they could approve
            raise ModelRetry(refused)

    schema = spec.arguments.model_json_schema()
    schema.pop("title", None)
    description = (
        f"{spec.description}\n\nThis is a write: calling it only PROPOSES the change. The person who "
        "asked sees a preview and decides; you learn the outcome afterwards."
    )
    tool = Tool[ToolNotes].from_schema(
        report,
        name=spec.name,
        description=description,
        json_schema=schema,
        takes_ctx=True,
        args_validator=check,
    )
    tool.requires_approval = True
    return tool


def outcome_metadata(text: str, *, ok: bool) -> dict[str, Any]:
    """The per-call metadata that carries a write's outcome into the resumed run."""
    return {OUTCOME: text, OK: ok}


def recorded_outcome(metadata: object) -> tuple[str, bool] | None:
    """The outcome the desk recorded for an approved call (text, ok), from the call's metadata."""
    if not isinstance(metadata, Mapping) or not isinstance(metadata.get(OUTCOME), str):
        return None
    return str(metadata[OUTCOME]), bool(metadata.get(OK, False))
