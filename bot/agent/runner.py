"""`PydanticAgent`: our `AgentPort` on top of a pydantic-ai agent run.

It streams one run and translates pydantic-ai's events into ours (`bot.events`): text deltas in
order, tool steps with short human summaries, and exactly one terminal event. Step and time
budgets, LLM failures and tool validation all end as `Failed` with a message safe to show a user.
No pydantic-ai type leaves this module.

Write tools are offered as approval-required tools (``bot.agent.approval_tools``): a run whose
model calls one ends with ``WritesProposed`` carrying the serialised message history, and
``resume`` continues it from that history once the asker's decisions are known.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic_ai import Agent, AgentRunResult, AgentRunResultEvent
from pydantic_ai.exceptions import (
    AgentRunError,
    ModelAPIError,
    ModelAuthenticationError,
    ModelQuotaExceededError,
    ModelRateLimitError,
    ModelRequestRejectedError,
    UnexpectedModelBehavior,
    UsageLimitExceeded,
    UserError,
)
from pydantic_ai.messages import (
    BinaryContent,
    FunctionToolCallEvent,
    FunctionToolResultEvent,
    ModelMessage,
    ModelMessagesTypeAdapter,
    ModelRequest,
    ModelResponse,
    PartDeltaEvent,
    PartStartEvent,
    TextPart,
    TextPartDelta,
    ToolCallPart,
    UserContent,
    UserPromptPart,
)
from pydantic_ai.models import Model
from pydantic_ai.settings import ModelSettings
from pydantic_ai.tools import DeferredToolRequests, DeferredToolResults, ToolApproved, ToolDenied
from pydantic_ai.toolsets import AbstractToolset
from pydantic_ai.usage import RunUsage, UsageLimits

from bot.agent.approval_tools import ProposableWrite, as_approval_tool, outcome_metadata
from bot.agent.discussion import SEARCH_TOOL, describe_call, search_tool, without_search_results
from bot.agent.prompt import system_instructions
from bot.agent.tools import ToolNotes, ToolSpec, as_agent_tool, short
from bot.agent.untrusted import fence
from bot.events import (
    Failed,
    Finished,
    LlmStep,
    ProposedWrite,
    StatusChanged,
    TextDelta,
    ToolFinished,
    ToolStarted,
    Usage,
    WorkflowEvent,
    WritesProposed,
)
from bot.ports import (
    AgentRequest,
    Attachment,
    ContextItem,
    DiscussionSearch,
    ResumeRequest,
    Turn,
    WriteDecision,
)

log = logging.getLogger(__name__)

_TOOL_RETRIES = 2
CONTEXT_INTRO = "Looked up before you were asked, because the message mentions them:"
FILES_INTRO = "Files the user attached to the question:"


class PydanticAgent:
    """Answers questions with an LLM and the read tools, within a step and a time budget."""

    def __init__(
        self,
        *,
        model: Model,
        tools: Sequence[ToolSpec[Any, Any]],
        max_steps: int = 8,
        timeout: float = 120.0,
        tool_output_chars: int = 6000,
        llm_retries: int = 2,
        on_close: Callable[[], Awaitable[None]] | None = None,
        writes: Sequence[ProposableWrite] = (),
        toolsets: Sequence[AbstractToolset[ToolNotes]] = (),
        image_input: bool | None = None,
        discussion: DiscussionSearch | None = None,
    ) -> None:
        # Whether screenshots go to the model as bytes: the setting if given, else the model's profile.
        self.image_input = (
            model.profile.get("supports_image_input", True) if image_input is None else image_input
        )
        self._specs = {spec.name: spec for spec in tools}
        self._discussion = discussion is not None
        self._writes = {write.name: write for write in writes}
        self._max_steps = max_steps
        self._timeout = timeout
        self._context_chars = tool_output_chars
        self._on_close = on_close
        self._settings = ModelSettings(max_retries=llm_retries)
        self._agent = Agent(
            model,
            instructions=system_instructions(writes=bool(writes), search=discussion is not None),
            deps_type=ToolNotes,
            # A run that calls a write tool ends with the call pending instead of running it.
            output_type=[str, DeferredToolRequests],
            tools=[
                *(as_agent_tool(spec, output_chars=tool_output_chars) for spec in tools),
                *(as_approval_tool(write) for write in writes),
                # Slack's discussion, for runs that came with a grant; not a step (nothing kept).
                *([search_tool(discussion, output_chars=tool_output_chars)] if discussion else []),
            ],
            # The team's MCP servers (``bot.agent.mcp.toolset``): on the Agent from the start, as a
            # durable run needs; which of their tools a run sees depends on its channel.
            toolsets=list(toolsets),
            retries=_TOOL_RETRIES,
            name="chatops",
        )

    @property
    def tool_names(self) -> list[str]:
        """Every tool the model may call: the read tools and the writes it may propose."""
        return [*self._specs, *self._writes, *([SEARCH_TOOL] if self._discussion else [])]

    async def aclose(self) -> None:
        """Release the LLM HTTP client."""
        if self._on_close is not None:
            await self._on_close()

    def answer(self, request: AgentRequest) -> AsyncIterator[WorkflowEvent]:
        """Stream the answer to `request` as workflow events, ending with one terminal event
        (or ``WritesProposed`` when the model proposed writes)."""
        prompt = user_prompt(
            request.question,
            request.context,
            limit=self._context_chars,
            attachments=request.attachments,
            images=self.image_input,
        )
        return self._run(
            prompt,
            history_messages(request.history),
            None,
            request.channel_id,
            run_id=request.run_id,
            searchable=request.searchable,
        )

    def resume(self, request: ResumeRequest) -> AsyncIterator[WorkflowEvent]:
        """Continue a run paused at proposed writes, telling the model how each one ended."""
        try:
            history = list(ModelMessagesTypeAdapter.validate_json(request.history))
        except ValueError:
            return _single(Failed("The paused conversation could not be restored, so I stopped here."))
        return self._run(None, history, deferred_results(request.decisions), request.channel_id)

    async def _run(
        self,
        prompt: str | Sequence[UserContent] | None,
        history: list[ModelMessage],
        deferred: DeferredToolResults | None,
        channel_id: str,
        *,
        run_id: str = "",
        searchable: bool = False,
    ) -> AsyncIterator[WorkflowEvent]:
        yield StatusChanged("thinking")
        approved = None if deferred is None else {c: _approved(v) for c, v in deferred.approvals.items()}
        notes = ToolNotes(
            channel_id=channel_id,
            resuming=_called(history, approved or {}),
            run_id=run_id,
            searchable=searchable,
        )
        translator = _Translator(self._specs, notes, writes=self._writes, approved=approved)
        deadline = asyncio.get_running_loop().time() + self._timeout
        usage: Callable[[], Usage] = Usage
        steps: Callable[[], tuple[LlmStep, ...]] = tuple
        try:
            async with self._agent.run_stream_events(
                prompt,
                message_history=history,
                deferred_tool_results=deferred,
                deps=translator.notes,
                usage_limits=UsageLimits(request_limit=self._max_steps, tool_calls_limit=self._max_steps),
                model_settings=self._settings,
            ) as stream:
                usage = _usage_reader(stream)
                steps = _steps_reader(stream)
                while True:
                    # The deadline only guards our own waits on the run, never the consumer's code.
                    async with asyncio.timeout_at(deadline):
                        event = await anext(stream, None)
                    if event is None:
                        return
                    for ours in translator.translate(event):
                        yield ours
        except TimeoutError:
            message = f"I ran out of time ({self._timeout:g}s) before finishing the answer."
            yield Failed(message, True, usage(), steps())
        except UsageLimitExceeded:
            message = f"I stopped at my step budget ({self._max_steps} steps) before reaching an answer."
            yield Failed(message + " Try a narrower question.", False, usage(), steps())
        except AgentRunError as exc:
            yield replace(_llm_failure(exc, usage()), llm_steps=steps())
        except Exception:
            log.exception("agent run crashed")
            yield Failed("Something went wrong inside the bot while answering.", False, usage(), steps())


def user_prompt(
    question: str,
    context: Sequence[ContextItem],
    *,
    limit: int,
    attachments: Sequence[Attachment] = (),
    images: bool = True,
) -> str | list[UserContent]:
    """The question, followed by the context looked up for it and the attached files' text, each
    fenced as untrusted data; images, for a model that takes them, follow as bytes.

    One text rather than several parts unless there are images: every OpenAI-compatible server
    accepts a plain string. Images go as bytes, never as a Slack URL the provider cannot open.
    """
    parts = [question]
    if context:
        fenced = [fence(item.body, source=item.source, tool="context", limit=limit) for item in context]
        parts.extend([CONTEXT_INTRO, *fenced])
    if attachments:
        parts.extend([FILES_INTRO, *(_attachment_text(item, images=images) for item in attachments)])
    text = "\n\n".join(parts)
    pictures = [item for item in attachments if item.kind == "image" and images]
    if not pictures:
        return text
    return [text, *(BinaryContent(item.data, media_type=item.media_type) for item in pictures)]


def _attachment_text(item: Attachment, *, images: bool) -> str:
    name = _quoted_name(item.name)
    if item.kind == "text":
        # The reduction already kept the text within its budget; the fence only guards the rest.
        return fence(item.text, source=item.source, tool=name, limit=len(item.text) + 1)
    if item.kind == "image" and images:
        return f"The user attached {name}, an image: it follows this text."
    if item.kind == "image":
        return f"The user attached {name}, an image this model cannot see."
    return f"The user attached {name}, which could not be read ({item.text})"


def _quoted_name(name: str) -> str:
    """A file name as it may stand in the prompt and the fence's attribute (its author chose it)."""
    return "".join(c for c in name if c.isprintable() and c not in '"<>')[:120] or "a file"


def deferred_results(decisions: Sequence[WriteDecision]) -> DeferredToolResults:
    """The decisions as pydantic-ai deferred results: executed writes are "approved" (their tool then
    only reports the recorded outcome), denied or expired ones denied with the reason."""
    results = DeferredToolResults()
    for decision in decisions:
        if decision.executed:
            override = dict(decision.arguments) if decision.arguments is not None else None
            results.approvals[decision.call_id] = ToolApproved(override_args=override)
            results.metadata[decision.call_id] = outcome_metadata(decision.outcome, ok=decision.ok)
        else:
            results.approvals[decision.call_id] = ToolDenied(decision.outcome)
    return results


async def _single(event: WorkflowEvent) -> AsyncIterator[WorkflowEvent]:
    yield event


def history_messages(turns: Sequence[Turn]) -> list[ModelMessage]:
    """The earlier turns of a conversation as pydantic-ai message history."""
    messages: list[ModelMessage] = []
    for turn in turns:
        if not turn.text.strip():
            continue
        if turn.role == "user":
            messages.append(ModelRequest(parts=[UserPromptPart(content=turn.text)]))
        else:
            messages.append(ModelResponse(parts=[TextPart(content=turn.text)]))
    return messages


@dataclass
class _Translator:
    """Maps one run's pydantic-ai events to ours, keeping the state that needs (text so far, clocks)."""

    specs: dict[str, ToolSpec[Any, Any]]
    notes: ToolNotes
    writes: Mapping[str, ProposableWrite] = field(default_factory=dict)
    approved: Mapping[str, bool] | None = None  # resuming: whether the asker approved each proposal
    text: list[str] = field(default_factory=list)
    started: dict[str, float] = field(default_factory=dict)
    break_before_text: bool = False

    def translate(self, event: object) -> list[WorkflowEvent]:
        if isinstance(event, PartStartEvent) and isinstance(event.part, TextPart):
            return self._text(event.part.content)
        if isinstance(event, PartDeltaEvent) and isinstance(event.delta, TextPartDelta):
            return self._text(event.delta.content_delta)
        if isinstance(event, FunctionToolCallEvent):
            return [self._tool_started(event)]
        if isinstance(event, FunctionToolResultEvent):
            return [self._tool_finished(event)]
        if isinstance(event, AgentRunResultEvent):
            output = event.result.output
            if isinstance(output, DeferredToolRequests):
                proposed = self._proposed(output, event.result)
                return [*self._proposals_shown(output), proposed]
            notice = self._went_without()
            text = "".join(self.text) or str(output)
            steps = llm_steps(event.result.new_messages())
            return [*notice, Finished(text, _usage(event.result.usage), steps)]
        return []

    def _went_without(self) -> list[WorkflowEvent]:
        """The answer says which of the team's MCP servers it had to do without, and so may miss."""
        if not self.notes.unavailable:
            return []
        names = ", ".join(sorted(self.notes.unavailable))
        one = len(self.notes.unavailable) == 1
        self.break_before_text = bool(self.text)  # a paragraph of its own
        noun, pronoun = ("server was", "it") if one else ("servers were", "them")
        return self._text(f"(The {names} MCP {noun} unavailable, so this answer does not use {pronoun}.)")

    def _proposed(self, requests: DeferredToolRequests, result: AgentRunResult[Any]) -> WritesProposed:
        proposals = tuple(
            ProposedWrite(call.tool_call_id, call.tool_name, dict(call.args_as_dict()))
            for call in requests.approvals
        )
        # The history is stored with the proposals: Slack search results must not be (Slack's terms).
        kept = without_search_results(result.all_messages())
        history = ModelMessagesTypeAdapter.dump_json(kept).decode()
        steps = llm_steps(result.new_messages())
        return WritesProposed(proposals, history, "".join(self.text), _usage(result.usage), steps)

    def _proposals_shown(self, requests: DeferredToolRequests) -> list[WorkflowEvent]:
        # A proposed call never runs in this run; its step ends here, as "waiting for approval".
        pending = [call for call in requests.approvals if call.tool_call_id in self.started]
        for call in pending:
            self.started.pop(call.tool_call_id, None)
        return [ToolFinished(c.tool_call_id, c.tool_name, True, "waiting for approval") for c in pending]

    def _text(self, delta: str) -> list[WorkflowEvent]:
        if not delta:
            return []
        events: list[WorkflowEvent] = []
        if self.break_before_text:
            # Text before a tool call and the answer after it are separate paragraphs.
            self.break_before_text = False
            events.append(TextDelta("\n\n"))
            self.text.append("\n\n")
        self.text.append(delta)
        events.append(TextDelta(delta))
        return events

    def _tool_started(self, event: FunctionToolCallEvent) -> ToolStarted:
        part = event.part
        self.started[part.tool_call_id] = asyncio.get_running_loop().time()
        self.break_before_text = bool(self.text)
        arguments = part.args_as_dict()
        spec = self.specs.get(part.tool_name)
        if spec is not None:
            summary = spec.summarize_call(arguments)
        elif part.tool_name == SEARCH_TOOL:
            summary = describe_call(arguments)
        elif part.tool_name in self.writes:
            described = self.writes[part.tool_name].summarize_call(arguments)
            summary = f"{described} ({self._stage(part.tool_call_id)})"
        else:  # a tool of a team's MCP server: its name, prefixed with its server's, and arguments
            shown = ", ".join(f"{name}={value}" for name, value in arguments.items())
            summary = f"{part.tool_name}({short(shown)})"
        return ToolStarted(part.tool_call_id, part.tool_name, summary, dict(arguments))

    def _tool_finished(self, event: FunctionToolResultEvent) -> ToolFinished:
        part = event.part
        started = self.started.pop(part.tool_call_id, None)
        elapsed = asyncio.get_running_loop().time() - started if started is not None else 0.0
        ok = part.outcome == "success"
        failed = "not approved" if part.outcome == "denied" else "failed"
        summary = self.notes.summaries.get(part.tool_call_id) or ("done" if ok else failed)
        return ToolFinished(part.tool_call_id, part.tool_name, ok, summary, int(elapsed * 1000))

    def _stage(self, call_id: str) -> str:
        if self.approved is None:
            return "proposed"
        return "approved" if self.approved.get(call_id) else "not approved"


def llm_steps(messages: Sequence[ModelMessage]) -> tuple[LlmStep, ...]:
    """Each model response of a run as a step: its model, tokens, and time since its request was sent."""
    steps: list[LlmStep] = []
    sent_at = None
    for message in messages:
        if isinstance(message, ModelRequest):
            sent_at = message.timestamp
        elif isinstance(message, ModelResponse):
            if message.state != "complete":
                continue  # a response cut off by the failure: the run's error tells that story
            elapsed = (message.timestamp - sent_at).total_seconds() if sent_at is not None else 0.0
            model = message.model_name or "unknown"
            usage = message.usage
            duration_ms = max(0, int(elapsed * 1000))
            steps.append(
                LlmStep(model, usage.input_tokens, usage.output_tokens, duration_ms, message.timestamp)
            )
            sent_at = None
    return tuple(steps)


def _called(history: Sequence[ModelMessage], calls: Mapping[str, bool]) -> frozenset[str]:
    """The names of the tools whose calls (by id) the history's last response made."""
    return frozenset(
        part.tool_name
        for message in history
        if isinstance(message, ModelResponse)
        for part in message.parts
        if isinstance(part, ToolCallPart) and part.tool_call_id in calls
    )


def _approved(result: object) -> bool:
    return isinstance(result, ToolApproved) or result is True


def _usage(usage: RunUsage) -> Usage:
    return Usage(usage.input_tokens, usage.output_tokens, usage.requests, usage.tool_calls)


def _usage_reader(stream: Any) -> Callable[[], Usage]:
    def read() -> Usage:
        try:
            return _usage(stream.usage)
        except UserError:
            return Usage()  # the run never started

    return read


def _steps_reader(stream: Any) -> Callable[[], tuple[LlmStep, ...]]:
    """The model responses a failed run did get, so its trace shows what the model was doing."""

    def read() -> tuple[LlmStep, ...]:
        try:
            return llm_steps(stream.new_messages())
        except UserError:
            return ()  # the run never started

    return read


def _llm_failure(exc: AgentRunError, usage: Usage) -> Failed:
    # Messages name the problem, never the provider's response body: it may echo the prompt.
    if isinstance(exc, ModelAuthenticationError):
        return Failed("The language model rejected the bot's credentials (check LLM_API_KEY).", False, usage)
    if isinstance(exc, ModelQuotaExceededError):
        return Failed("The language model account is out of quota.", False, usage)
    if isinstance(exc, ModelRateLimitError):
        return Failed("The language model is rate-limiting the bot; please try again shortly.", True, usage)
    if isinstance(exc, ModelRequestRejectedError):
        return Failed("The language model rejected the request.", False, usage)
    if isinstance(exc, ModelAPIError):
        status = getattr(exc, "status_code", None)
        detail = f" (HTTP {status})" if status else ""
        return Failed(f"The language model is unavailable right now{detail}; please try again.", True, usage)
    if isinstance(exc, UnexpectedModelBehavior):
        return Failed("The language model sent a response I could not use; please try again.", True, usage)
    log.warning("agent run failed: %s", type(exc).__name__)
    return Failed("The answer could not be completed; please try again.", True, usage)
