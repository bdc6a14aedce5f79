"""The agent's ``slack_search`` tool: the team's Slack discussion as evidence, cited by permalink.

It searches through a ``DiscussionSearch`` (Slack's Real-time Search, with the asking event's
grant: only what the asker may see, as Slack decides) and hands the model each hit with its
permalink, fenced as untrusted data. It is offered only to a run that came with a grant. Slack's
terms forbid keeping the results, so unlike the other reads it is not a checkpointed step (a
step's output is stored in the durable engine's database), its trace summary is a count, and
``without_search_results`` takes the hits out of a history that is about to be stored (a run
paused at a proposed write). A search that cannot be made is one sentence, and the model goes on.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from pydantic import Field, ValidationError
from pydantic_ai import RunContext, Tool
from pydantic_ai.exceptions import ModelRetry
from pydantic_ai.messages import ModelMessage, ModelRequest, ToolReturnPart
from pydantic_ai.tools import ToolDefinition

from bot.agent.tools import Arguments, ToolNotes, count, short
from bot.agent.untrusted import fence
from bot.ports import DiscussionSearch, SearchUnavailable, SlackHit

SEARCH_TOOL = "slack_search"
NOT_KEPT = "(Slack search results are not kept after the run that read them; search again if needed.)"
DESCRIPTION = (
    "Search the team's Slack discussion (public channels; only what the person asking may see) for "
    "messages about an incident, a decision or a topic. Returns each message with its author, "
    "channel and permalink; cite the messages you use by their permalink."
)


class SlackSearchArgs(Arguments):
    query: str = Field(
        min_length=2, max_length=200, description="Plain search words, e.g. 'payments deploy rollback'."
    )
    limit: int = Field(default=10, ge=1, le=20, description="How many messages to return at most.")


def describe_call(arguments: dict[str, Any]) -> str:
    """The step's text while it runs, e.g. "Slack search: deploy rollback"."""
    query = arguments.get("query")
    return f"Slack search: {short(query)}" if isinstance(query, str) else "Slack search"


def search_tool(search: DiscussionSearch, *, output_chars: int) -> Tool[ToolNotes]:
    """``slack_search`` for the agent: offered only to runs with a grant (``ToolNotes.searchable``)."""

    async def run(ctx: RunContext[ToolNotes], **raw: Any) -> str:
        call_id = ctx.tool_call_id or ""
        try:
            arguments = SlackSearchArgs.model_validate(raw)
        except ValidationError:
            ctx.deps.summaries[call_id] = "invalid arguments"
            raise ModelRetry(
                "slack_search needs `query` (2-200 characters) and an optional `limit` 1-20."
            ) from None
        try:
            hits = await search.search(arguments.query, run_id=ctx.deps.run_id, limit=arguments.limit)
        except SearchUnavailable as unavailable:
            ctx.deps.summaries[call_id] = "unavailable"
            return unavailable.message
        ctx.deps.summaries[call_id] = count(len(hits), "message")  # never their content
        if not hits:
            return "Slack search found no messages for these words."
        return fence(_as_json(hits), source="slack", tool=SEARCH_TOOL, limit=output_chars)

    async def offered(ctx: RunContext[ToolNotes], definition: ToolDefinition) -> ToolDefinition | None:
        return definition if ctx.deps.searchable else None

    schema = SlackSearchArgs.model_json_schema()
    schema.pop("title", None)
    tool = Tool[ToolNotes].from_schema(
        run, name=SEARCH_TOOL, description=DESCRIPTION, json_schema=schema, takes_ctx=True
    )
    tool.prepare = offered
    return tool


def without_search_results(messages: list[ModelMessage]) -> list[ModelMessage]:
    """``messages`` with every ``slack_search`` result replaced by a note that it was not kept."""
    return [_redacted(message) if isinstance(message, ModelRequest) else message for message in messages]


def _redacted(request: ModelRequest) -> ModelRequest:
    parts = [
        _note(part) if isinstance(part, ToolReturnPart) and part.tool_name == SEARCH_TOOL else part
        for part in request.parts
    ]
    return replace(request, parts=parts)


def _note(part: ToolReturnPart[Any]) -> ToolReturnPart[Any]:
    """The result's place in the history kept, its content (the hits) not."""
    return ToolReturnPart(
        tool_name=part.tool_name, content=NOT_KEPT, tool_call_id=part.tool_call_id, timestamp=part.timestamp
    )


def _as_json(hits: list[SlackHit]) -> str:
    return json.dumps(
        [
            {
                "author": hit.author,
                "channel": hit.channel_name,
                "ts": hit.ts,
                "permalink": hit.permalink,
                "text": hit.text,
            }
            for hit in hits
        ],
        ensure_ascii=False,
    )
