"""SIMULATED Slack agent surface: the Messages tab's suggested prompts and agent sessions.

``assistant.threads.setSuggestedPrompts`` (scope ``assistant:write``; ``not_agent_app`` when the
app has no agent feature, 1-4 prompts of ``{title, message}``), ``agents.sessions.setStatus``
(scope ``chat:write``; creates the session, ``title`` only on creation) and
``agents.sessions.rename`` (1-200 characters; ``session_not_found`` before a status created
it). Each session keeps its history of statuses and titles for tests to read.

Refusals are raised as the simulator's own refusal (handed in, so this module imports nothing of
it), which answers them as ``{"ok": false, "error": code}``. Standard library only; never ``bot``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

SESSION_STATUSES = ("active", "processing", "suspended", "closed")
TITLE_LIMIT = 200
MAX_PROMPTS = 4


@dataclass(slots=True)
class AgentSessionState:
    """One thread's agent session as Slack keeps it; ``statuses`` and ``titles`` in order set."""

    channel: str
    thread_ts: str
    statuses: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.statuses[-1]

    @property
    def title(self) -> str | None:
        return self.titles[-1] if self.titles else None


class AgentSurface:
    """The Messages tab's state: prompts per DM channel and sessions per thread."""

    def __init__(
        self,
        scopes: Callable[[], Sequence[str]],
        refusal: Callable[[str], Exception],
        *,
        agent_app: bool = True,
    ) -> None:
        self._scopes = scopes  # the install's granted scopes, read at each call
        self._refusal = refusal  # builds the exception the simulator answers as {"ok": false}
        self.agent_app = agent_app  # False: the app has no agent feature (not_agent_app)
        self.prompts: dict[str, list[dict[str, str]]] = {}
        self.sessions: dict[tuple[str, str], AgentSessionState] = {}

    def handlers(self) -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
        return {
            "assistant.threads.setSuggestedPrompts": self.set_suggested_prompts,
            "agents.sessions.setStatus": self.set_session_status,
            "agents.sessions.rename": self.rename_session,
        }

    def set_suggested_prompts(self, args: dict[str, Any]) -> dict[str, Any]:
        self._need("assistant:write")
        if not self.agent_app:
            raise self._refusal("not_agent_app")
        channel = self._text(args, "channel_id", "channel_not_found")
        prompts = args.get("prompts")
        if not isinstance(prompts, list) or not 1 <= len(prompts) <= MAX_PROMPTS:
            raise self._refusal("invalid_arguments")
        if not all(_is_prompt(prompt) for prompt in prompts):
            raise self._refusal("invalid_arguments")
        self.prompts[channel] = [dict(prompt) for prompt in prompts]
        return {"ok": True}

    def set_session_status(self, args: dict[str, Any]) -> dict[str, Any]:
        self._need("chat:write")
        channel = self._text(args, "channel_id", "channel_not_found")
        thread_ts = self._text(args, "thread_ts", "thread_ts_required")
        status = args.get("status")
        if status not in SESSION_STATUSES:
            raise self._refusal("invalid_status")
        session = self.sessions.get((channel, thread_ts))
        if session is None:
            session = self.sessions[(channel, thread_ts)] = AgentSessionState(channel, thread_ts)
            if isinstance(args.get("title"), str) and args["title"]:
                session.titles.append(self._title(args["title"]))
        session.statuses.append(str(status))
        return {"ok": True}

    def rename_session(self, args: dict[str, Any]) -> dict[str, Any]:
        self._need("chat:write")
        channel = self._text(args, "channel_id", "channel_not_found")
        thread_ts = self._text(args, "thread_ts", "thread_ts_required")
        session = self.sessions.get((channel, thread_ts))
        if session is None:
            raise self._refusal("session_not_found")
        session.titles.append(self._title(args.get("title")))
        return {"ok": True}

    def _need(self, scope: str) -> None:
        if scope not in self._scopes():
            raise self._refusal("missing_scope")

    def _text(self, args: dict[str, Any], name: str, error: str) -> str:
        value = args.get(name)
        if not isinstance(value, str) or not value:
            raise self._refusal(error)
        return value

    def _title(self, value: object) -> str:
        if not isinstance(value, str) or not 1 <= len(value) <= TITLE_LIMIT:
            raise self._refusal("invalid_arguments")
        return value


def _is_prompt(prompt: object) -> bool:
    return (
        isinstance(prompt, dict)
        and set(prompt) == {"title", "message"}
        and all(isinstance(value, str) and value for value in prompt.values())
    )
