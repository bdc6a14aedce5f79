"""How a run's events read in a Slack thread: the escaped answer, status lines, task cards, the end.

Pure text and Block Kit chunks; nothing here calls Slack. The answer arrives as untrusted deltas,
escaped as they stream (safe across chunk boundaries), and the final text adds only what the
deltas did not carry. A run that failed ends with a warning on a paragraph of its own.
"""

from __future__ import annotations

from slack_sdk.models.messages.chunk import PlanUpdateChunk, TaskUpdateChunk

from bot.events import Failed, Interrupted, StatusChanged, ToolFinished, ToolStarted, WorkflowEvent
from bot.text import StreamEscaper, escape

NO_ANSWER = "_No answer was produced._"
WORKING = "working on it"


class AnswerText:
    """The answer's deltas as received, handed out escaped."""

    def __init__(self) -> None:
        self._escaper = StreamEscaper()
        self._raw = ""

    def feed(self, delta: str) -> str:
        """``delta`` escaped; a tail that could still become ``@channel`` waits for the next delta."""
        self._raw += delta
        return self._escaper.feed(delta)

    def rest(self, final_text: str = "") -> str:
        """The escaped end: what ``final_text`` (the whole answer) adds to the deltas, and anything held."""
        extra = final_text[len(self._raw) :] if final_text.startswith(self._raw) else ""
        return self._escaper.feed(extra) + self._escaper.flush()


def ending(note: str, *, shown: bool) -> str:
    """What closes an answer after its text: the note as a paragraph of its own, or, when nothing
    at all was shown, the sentence that no answer came."""
    if note:
        return ("\n\n" if shown else "") + note
    return "" if shown else NO_ANSWER


def failure_note(event: Failed | Interrupted) -> str:
    return f":warning: {escape(event.message)}"


def first_status(event: WorkflowEvent) -> str:
    """The status a thread shows at once, before anything else is known."""
    return event.status if isinstance(event, StatusChanged) and event.status else WORKING


def status_line(status: str) -> str:
    """The thread's status text; Slack shows it after the app's name ("Bot is thinking…")."""
    return f"is {escape(status)}…"


def plan_chunk(status: str) -> PlanUpdateChunk:
    """The title of a stream's plan, whose tasks are the run's tool steps."""
    return PlanUpdateChunk(title=escape(status[:1].upper() + status[1:]))


def task_chunk(event: ToolStarted | ToolFinished) -> TaskUpdateChunk:
    """A tool step as a task card: in progress, then complete or failed."""
    if isinstance(event, ToolStarted):
        status = "in_progress"
    else:
        status = "complete" if event.ok else "error"
    return TaskUpdateChunk(id=event.call_id, title=escape(task_title(event)), status=status)


def task_title(event: ToolStarted | ToolFinished) -> str:
    return event.summary or event.name
