"""A paused agent run for a write that a workflow (not the agent loop) proposed.

``/jira create``, the thread shortcut and ``/triage`` draft their write outside the agent, but
the approval flow is built around paused agent runs: it stores the run's message history and,
once the asker has decided, resumes the agent with the outcome. This builds that history as if
the agent had been asked the workflow's task and had answered with the write call, so the
resumed agent learns the outcome and closes the thread with it, like any other proposal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic_ai.messages import (
    ModelMessage,
    ModelMessagesTypeAdapter,
    ModelRequest,
    ModelResponse,
    ToolCallPart,
    UserPromptPart,
)


def proposal_history(task: str, calls: Sequence[tuple[str, str, Mapping[str, Any]]]) -> str:
    """The serialised history: ``task`` asked, then the (call id, tool, arguments) calls made."""
    messages: list[ModelMessage] = [
        ModelRequest(parts=[UserPromptPart(content=task)]),
        ModelResponse(
            parts=[
                ToolCallPart(tool_name=tool, args=dict(arguments), tool_call_id=call_id)
                for call_id, tool, arguments in calls
            ]
        ),
    ]
    return ModelMessagesTypeAdapter.dump_json(messages).decode()
