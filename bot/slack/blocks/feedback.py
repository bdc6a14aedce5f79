"""The controls under a finished answer: Slack's native 👍 / 👎, Details, and the 👎 reason dialog.

Block Kit only; the Slack calls that open it and receive it are in ``bot.slack.listeners.feedback``.
The run id travels in ``private_metadata``: Slack returns it unchanged with the signed
submission, so the reason lands on the run whose button was clicked. The modal does not ask
to be told when it is closed: the 👎 is stored on the click, so closing changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

REASON_VIEW = "answer_feedback_reason"
REASON_BLOCK = "reason"
REASON_INPUT = "reason_text"
REASON_LIMIT = 500
RECORDED = "Your :thumbsdown: is recorded. A reason helps improve answers."
TOO_LONG = f"Please keep it under {REASON_LIMIT} characters."


def reason_modal(run_id: str) -> dict[str, Any]:
    """The dialog a 👎 opens; submitting it empty is as good as closing it."""
    return {
        "type": "modal",
        "callback_id": REASON_VIEW,
        "private_metadata": run_id,
        "title": _plain("What went wrong?"),
        "submit": _plain("Send"),
        "close": _plain("Skip"),
        "blocks": [
            {"type": "context", "elements": [{"type": "mrkdwn", "text": RECORDED}]},
            {
                "type": "input",
                "block_id": REASON_BLOCK,
                "optional": True,
                "label": _plain("Reason (optional)"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": REASON_INPUT,
                    "multiline": True,
                    "max_length": REASON_LIMIT,
                    "placeholder": _plain("e.g. it looked at the wrong ticket"),
                },
            },
        ],
    }


def submitted_run_id(view: Mapping[str, Any]) -> str:
    return str(view.get("private_metadata") or "")


def submitted_reason(view: Mapping[str, Any]) -> str | None:
    """The reason as typed, without surrounding blank space; None when the box was left empty.

    Slack enforces ``max_length`` in its form; the caller still checks ``REASON_LIMIT``, because
    the value is whatever the request carries.
    """
    values = _mapping(_mapping(view.get("state")).get("values"))
    value = _mapping(_mapping(values.get(REASON_BLOCK)).get(REASON_INPUT)).get("value")
    text = value.strip() if isinstance(value, str) else ""
    return text or None


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


ANSWER_FEEDBACK = "answer_feedback"  # Slack's feedback_buttons: the value says which
# The separate 👍 / 👎 buttons of answers posted before the feedback moved into the answer.
FEEDBACK_UP = "answer_feedback_up"
FEEDBACK_DOWN = "answer_feedback_down"
ANSWER_DETAILS = "answer_details"


def feedback_blocks(run_id: str) -> list[dict[str, Any]]:
    """What goes under a finished answer, in its own message: Slack's native 👍/👎
    (``feedback_buttons`` in a ``context_actions`` block) and the Details button, each carrying
    the run id."""
    buttons = {
        "type": "feedback_buttons",
        "action_id": ANSWER_FEEDBACK,
        "positive_button": _feedback_button(":thumbsup:", "up", run_id, "This answer was useful"),
        "negative_button": _feedback_button(":thumbsdown:", "down", run_id, "This answer was not useful"),
    }
    details = {
        "type": "button",
        "action_id": ANSWER_DETAILS,
        "text": {"type": "plain_text", "text": "Details", "emoji": True},
        "value": run_id,
    }
    return [
        {"type": "context_actions", "block_id": f"feedback:{run_id}", "elements": [buttons]},
        {"type": "actions", "block_id": f"details:{run_id}", "elements": [details]},
    ]


def feedback_value(value: str) -> tuple[str, str] | None:
    """``("up" | "down", run id)`` from a native feedback click's value; None when it is not ours."""
    verdict, _, run_id = value.partition(":")
    if verdict not in ("up", "down") or not run_id:
        return None
    return verdict, run_id


def _feedback_button(emoji: str, verdict: str, run_id: str, label: str) -> dict[str, Any]:
    return {
        "text": {"type": "plain_text", "text": emoji, "emoji": True},
        "value": f"{verdict}:{run_id}",
        "accessibility_label": label,
    }
