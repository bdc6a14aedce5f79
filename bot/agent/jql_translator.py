"""Free text to JQL: the LLM writes a query as structured output, nothing else.

``/jira open bugs in OPS assigned to Dana`` needs a JQL query, not an answer, so this is a
separate, tool-less pydantic-ai agent whose only output is a ``JqlDraft`` (offered to the model
as the ``submit_jql`` output tool, which every OpenAI-compatible server and Anthropic support).
The draft is not trusted: the Jira client scopes and validates every query before it is sent
(project allowlist, no widening with OR), so this module only tidies the text.
Failures surface as the project's error types with ``service="llm"`` so ``bot.text.explain`` words
them like every other upstream failure.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from pydantic import BaseModel, Field
from pydantic_ai import Agent, ToolOutput
from pydantic_ai.exceptions import (
    AgentRunError,
    ModelAPIError,
    ModelAuthenticationError,
    ModelRateLimitError,
    UnexpectedModelBehavior,
    UsageLimitExceeded,
)
from pydantic_ai.models import Model
from pydantic_ai.settings import ModelSettings
from pydantic_ai.usage import UsageLimits

from bot.errors import InputRejected
from integrations.errors import PermissionDenied, RateLimited, Timeout, Unavailable

SERVICE = "llm"
OUTPUT_TOOL = "submit_jql"
MAX_JQL_CHARS = 500
MAX_REQUEST_CHARS = 500
# One request, plus room for the model to fix an output that failed validation.
_REQUEST_LIMIT = 3

INSTRUCTIONS = """\
You translate a person's request for Jira issues into one JQL query and submit it with the \
submit_jql tool. Do not answer the request yourself.

Rules:
- Use only these fields: project, key, issuetype, status, assignee, reporter, priority, labels, \
created, updated, text, summary. Quote values with spaces: status = "In Progress".
- "open" means status != Done; "mine" or "my" means assignee = currentUser(); "unassigned" \
means assignee is EMPTY.
- Join conditions with AND. Put ORDER BY at the end only when the person asks for an order.
- When projects are listed for you, restrict the query to them with project = KEY or \
project in (A, B).
- If the request is not about Jira issues, submit text ~ "<its key words>".
- explanation: one short sentence saying in plain words what the query finds.
"""


class JqlDraft(BaseModel):
    """What the model submits."""

    jql: str = Field(
        min_length=1,
        max_length=MAX_JQL_CHARS,
        description='One JQL query, e.g. project = OPS AND status != Done AND assignee = "Dana Scully".',
    )
    explanation: str = Field(default="", max_length=300, description="What the query finds, in plain words.")


class JqlTranslator(Protocol):
    """Turns a person's words into a JQL query (not yet scoped: the Jira client does that)."""

    async def to_jql(self, text: str) -> str: ...


class PydanticJqlTranslator:
    """A `JqlTranslator` on a pydantic-ai agent with ``JqlDraft`` as its only output."""

    def __init__(
        self,
        *,
        model: Model,
        projects: Sequence[str] = (),
        timeout: float = 30.0,
        llm_retries: int = 2,
        on_close: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._projects = tuple(projects)
        self._timeout = timeout
        self._on_close = on_close
        self._settings = ModelSettings(max_retries=llm_retries)
        self._agent = Agent(
            model,
            instructions=INSTRUCTIONS,
            output_type=ToolOutput(JqlDraft, name=OUTPUT_TOOL, description="Submit the JQL query."),
            name="jql-translator",
        )

    async def aclose(self) -> None:
        """Release the LLM HTTP client."""
        if self._on_close is not None:
            await self._on_close()

    async def to_jql(self, text: str) -> str:
        """The JQL for `text`; raises InputRejected, or an UpstreamError with service ``llm``."""
        draft = await self.draft(text)
        return draft.jql

    async def draft(self, text: str) -> JqlDraft:
        """The model's query and its explanation, tidied."""
        request = " ".join(text.split())
        if not request:
            raise InputRejected("Say what to look for, e.g. `/jira open bugs in OPS assigned to Dana`.")
        if len(request) > MAX_REQUEST_CHARS:
            raise InputRejected(
                f"That request is too long for a search (limit {MAX_REQUEST_CHARS} characters)."
            )
        try:
            async with asyncio.timeout(self._timeout):
                result = await self._agent.run(
                    user_prompt(request, self._projects),
                    model_settings=self._settings,
                    usage_limits=UsageLimits(request_limit=_REQUEST_LIMIT),
                )
        except TimeoutError:
            raise Timeout(SERVICE, "timed out waiting for an answer") from None
        except AgentRunError as exc:
            raise _failure(exc) from None
        return JqlDraft(jql=tidy(result.output.jql), explanation=" ".join(result.output.explanation.split()))


def user_prompt(request: str, projects: Sequence[str]) -> str:
    """The request, with the projects in scope when an allowlist is configured."""
    scope = f"Projects: {', '.join(projects)}\n" if projects else ""
    return f"{scope}Request: {request}"


_CODE_FENCE = re.compile(r"^```(?:jql|sql)?\s*|\s*```$", re.IGNORECASE)


def tidy(jql: str) -> str:
    """One line, without the code fences or backticks models like to add."""
    text = _CODE_FENCE.sub("", jql.strip()).strip().strip("`").strip()
    text = " ".join(text.split())
    if not text:
        raise InputRejected("I could not turn that into a Jira search; try JQL or an issue key.")
    return text


def _failure(exc: AgentRunError) -> Exception:
    # Like the agent runner: name the problem, never the provider's body (it may echo the prompt).
    if isinstance(exc, ModelAuthenticationError):
        return PermissionDenied(SERVICE, "the credentials were rejected", status=401)
    if isinstance(exc, ModelRateLimitError):
        return RateLimited(SERVICE, "rate limited", retry_after=exc.retry_after)
    if isinstance(exc, ModelAPIError):
        return Unavailable(SERVICE, "request failed", status=getattr(exc, "status_code", None))
    if isinstance(exc, UnexpectedModelBehavior | UsageLimitExceeded):
        return InputRejected("I could not turn that into a Jira search; try JQL or an issue key.")
    return Unavailable(SERVICE, "the request could not be completed")
