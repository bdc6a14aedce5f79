"""The seams between orchestration and the outside world, as Protocols.

Beside ``Sink`` stands ``SinkWrapper``, the one base of every sink that adds behaviour to
another (metrics, footer, feedback buttons, proposals): each wraps the next and passes events on.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol, TypeAlias

from bot.events import WorkflowEvent

Role = Literal["user", "assistant"]


@dataclass(frozen=True, slots=True)
class Turn:
    """One earlier message of a conversation, oldest first."""

    role: Role
    text: str


@dataclass(frozen=True, slots=True)
class ContextItem:
    """Data looked up before a run because the message mentions it (e.g. a Jira issue).

    Written by whoever can edit that issue, so the agent sees it only as fenced untrusted data.
    """

    source: str  # the service it came from, e.g. "jira"
    name: str  # what it is, e.g. "OPS-123"
    body: str  # the data itself (JSON, like a tool result)


@dataclass(frozen=True, slots=True)
class FileRef:
    """A file attached to a question, as its surface describes it: not its bytes, which are fetched
    inside the run (``FileSource``), so a queued question carries only these few primitives."""

    id: str
    name: str
    mimetype: str = ""
    filetype: str = ""
    size: int = 0  # bytes, as the surface declares it; checked before and after the download
    url: str = ""  # where the bytes are: Slack's url_private_download, or the console's local path
    permalink: str = ""
    stub: bool = False  # Slack Connect's "check_file_info": the full object comes from files.info


@dataclass(frozen=True, slots=True)
class FileContent:
    """A fetched file's bytes, with the media type they were served as."""

    name: str
    media_type: str
    data: bytes


class FileUnreadable(Exception):
    """A file that could not be fetched; ``reason`` completes "I could not read NAME: ..."."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FileSource(Protocol):
    """Fetches an attached file's bytes, at most ``limit`` of them; raises ``FileUnreadable``."""

    label: str  # where its files come from, as the agent's fence names it: "slack-file"

    async def describe(self, ref: FileRef) -> FileRef:
        """A stub made whole (its name, type, size and link); any other ref as it is."""
        ...

    async def fetch(self, ref: FileRef, *, limit: int) -> FileContent: ...


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file as the agent gets it: a text (a large log reduced), an image's bytes, or a sentence
    saying why it could not be read (``kind`` "unreadable", the sentence in ``text``)."""

    name: str
    kind: Literal["text", "image", "unreadable"]
    text: str = ""
    data: bytes = b""
    media_type: str = ""
    source: str = "slack-file"  # where it came from, as the agent's fence names it


@dataclass(frozen=True, slots=True)
class AgentRequest:
    """What the agent needs: the question, who asked, the thread so far, looked-up context and
    the files attached to the question."""

    question: str
    user_id: str
    history: tuple[Turn, ...] = ()
    run_id: str = ""
    context: tuple[ContextItem, ...] = ()
    channel_id: str = ""  # where it was asked; some tools are offered only in some channels
    attachments: tuple[Attachment, ...] = ()
    searchable: bool = False  # it came with Slack's leave to search its discussion (``SearchGrant``)


@dataclass(frozen=True, slots=True)
class WriteDecision:
    """How a proposed write ended, for the agent when its run resumes.

    ``executed`` is True when the write was approved and attempted (``ok`` says whether it worked);
    False when it was denied or expired. ``arguments`` are those actually sent, if edited.
    """

    call_id: str
    executed: bool
    outcome: str  # one sentence for the model, e.g. "Created OPS-9: https://..."
    ok: bool = True
    arguments: dict[str, object] | None = None


@dataclass(frozen=True, slots=True)
class ResumeRequest:
    """A paused run to continue: its stored message history and the decisions on its proposals."""

    history: str
    decisions: tuple[WriteDecision, ...]
    user_id: str
    run_id: str = ""
    channel_id: str = ""


class ContextSource(Protocol):
    """Looks up what a message mentions before the agent runs; never raises for upstream failures."""

    async def gather(self, text: str) -> tuple[ContextItem, ...]: ...


class ViewedChannels(Protocol):
    """The channel each user was last seen viewing beside the app's Messages tab (Slack's
    ``app_context_changed``), shared by the fleet: where a DM question was asked "from"."""

    async def viewed_channel(self, team_id: str, user_id: str) -> str | None:
        """The channel ``user_id`` is viewing now, as far as Slack told; None when unknown."""
        ...


class AgentPort(Protocol):
    """Answers a question, yielding text deltas and tool steps, ending with a terminal event."""

    def answer(self, request: AgentRequest) -> AsyncIterator[WorkflowEvent]: ...

    def resume(self, request: ResumeRequest) -> AsyncIterator[WorkflowEvent]:
        """Continue a run that stopped at proposed writes (``WritesProposed``), after the decisions."""
        ...


class Sink(Protocol):
    """Renders a run's events somewhere a person can see them (Slack thread, terminal, test log)."""

    async def emit(self, event: WorkflowEvent) -> None: ...


# A run's sink, built once the run exists: the argument is the run's id.
SinkFactory: TypeAlias = Callable[[str], Sink]


def every_run(sink: Sink) -> SinkFactory:
    """The same sink for every run (the terminal, a test's recorder)."""
    return lambda _run_id: sink


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a run's answer goes and what it comes with: primitives only, because a durable run
    carries it to whichever process resumes the run, which rebuilds the sink from it."""

    surface: str  # the edge that renders it: "slack" or "console"
    team_id: str
    channel_id: str
    thread_ts: str
    user_id: str
    response_url: str | None = None  # a slash command's, the Slack ladder's last rung
    footer: bool = False  # the model and timing line under the answer
    feedback: bool = False  # the 👍/👎 buttons after it
    stop: bool = False  # a Stop control for the asker
    desk: bool = False  # proposed writes shown below the answer, with their buttons
    agent_session: bool = False  # Slack's agent session (Messages tab): status, title, its own Stop
    session_title: str = ""  # the agent session's title: a thread's first question, named once


class OneSink:
    """A ``SinkRouter`` that renders every run with the same sink (the terminal, a test's recorder)."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink

    def sinks(self, origin: Origin) -> SinkFactory:
        return every_run(self.sink)

    async def retire(self, origin: Origin, run_id: str) -> None:
        return None  # what a terminal printed stays printed


class SinkRouter(Protocol):
    """An edge's sinks, rebuilt from a run's ``Origin`` in whichever process runs it."""

    def sinks(self, origin: Origin) -> SinkFactory:
        """The factory of the run's sink chain (called with the run id)."""
        ...

    async def retire(self, origin: Origin, run_id: str) -> None:
        """A resumed run starts its answer again: take down what its interrupted attempt showed
        (the half-streamed message), so that the thread ends with one complete answer."""
        ...


class SinkWrapper:
    """A sink that adds behaviour around ``inner``: a subclass overrides ``emit`` and calls
    ``super().emit(event)`` where the event is to be passed on (possibly changed)."""

    def __init__(self, inner: Sink) -> None:
        self.inner = inner

    async def emit(self, event: WorkflowEvent) -> None:
        await self.inner.emit(event)


@dataclass(frozen=True, slots=True)
class SearchGrant:
    """Slack's leave to search its discussion for one question: the triggering event's
    ``action_token`` (a short-lived credential: held in memory only, never stored or logged) and
    the channel the question was asked from (or the asker is viewing), if any."""

    action_token: str = field(repr=False)
    context_channel_id: str | None = None


@dataclass(frozen=True, slots=True)
class SlackHit:
    """One message Slack's search found: kept in memory for the run only (Slack's terms)."""

    author: str
    channel_name: str
    ts: str
    text: str = field(repr=False)
    permalink: str = ""


class SearchUnavailable(Exception):
    """Slack's search cannot answer this run (no grant, not enabled, refused, rate limited);
    ``message`` is one sentence for the model, which goes on without the search."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SearchGrants(Protocol):
    """Where an edge leaves a run's ``SearchGrant`` before the run starts (process memory), and
    binds the backend that searches with it once the edge is connected."""

    def keep(self, run_id: str, grant: SearchGrant) -> None: ...

    def bind(self, backend: DiscussionBackend) -> None: ...


class DiscussionSearch(Protocol):
    """Searches the workspace's discussion with the grant left for ``run_id``."""

    async def search(self, query: str, *, run_id: str, limit: int) -> list[SlackHit]:
        """The hits, best first; ``SearchUnavailable`` when there is no answer to be had."""
        ...


class DiscussionBackend(Protocol):
    """The Slack side of ``DiscussionSearch``: one ``assistant.search.context`` call."""

    async def search(
        self, query: str, *, action_token: str, context_channel_id: str | None, limit: int
    ) -> list[SlackHit]: ...
