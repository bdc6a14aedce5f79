"""The 👎 reason dialog (``bot.slack.blocks.feedback``): its form, and the reason read back."""

from __future__ import annotations

from typing import Any

import pytest

from bot.slack.blocks.feedback import (
    ANSWER_DETAILS,
    ANSWER_FEEDBACK,
    REASON_BLOCK,
    REASON_INPUT,
    REASON_LIMIT,
    REASON_VIEW,
    feedback_blocks,
    feedback_value,
    reason_modal,
    submitted_reason,
    submitted_run_id,
)


def _submitted(value: object, *, run_id: str = "run-1") -> dict[str, Any]:
    """The ``view`` of a view_submission, as Slack sends it back."""
    field = {"type": "plain_text_input", "value": value}
    return {
        "callback_id": REASON_VIEW,
        "private_metadata": run_id,
        "state": {"values": {REASON_BLOCK: {REASON_INPUT: field}}},
    }


def test_the_dialog_carries_the_run_and_one_optional_bounded_multiline_box() -> None:
    view = reason_modal("run-7")
    assert (view["type"], view["callback_id"], view["private_metadata"]) == ("modal", REASON_VIEW, "run-7")
    assert "notify_on_close" not in view, "closing changes nothing, so Slack need not tell us"
    (box,) = [block for block in view["blocks"] if block["type"] == "input"]
    assert box["block_id"] == REASON_BLOCK and box["optional"] is True
    element = box["element"]
    assert element["type"] == "plain_text_input" and element["action_id"] == REASON_INPUT
    assert element["multiline"] is True and element["max_length"] == REASON_LIMIT == 500
    assert all(len(view[key]["text"]) <= 24 for key in ("title", "submit", "close"))


@pytest.mark.parametrize("value", [None, "", "   \n\t "])
def test_an_empty_box_is_no_reason(value: object) -> None:
    assert submitted_reason(_submitted(value)) is None


def test_a_reason_is_kept_as_typed_without_surrounding_blank_space() -> None:
    typed = "Cited OPS-1, not OPS-2.\nAlso <!channel> *bold* & `code`"
    assert submitted_reason(_submitted(f"  {typed}\n")) == typed


def test_the_run_id_comes_from_private_metadata() -> None:
    assert submitted_run_id(_submitted("x", run_id="run-42")) == "run-42"
    assert submitted_run_id({"state": {}}) == ""
    assert submitted_reason({"state": {"values": {"other": {}}}}) is None


def test_slacks_own_feedback_buttons_and_details_carry_the_run() -> None:
    feedback, details = feedback_blocks("run-123")
    assert feedback["type"] == "context_actions" and feedback["block_id"] == "feedback:run-123"
    (buttons,) = feedback["elements"]
    assert buttons["type"] == "feedback_buttons" and buttons["action_id"] == ANSWER_FEEDBACK
    assert buttons["positive_button"]["value"] == "up:run-123"
    assert buttons["negative_button"]["value"] == "down:run-123"
    assert details["type"] == "actions" and details["block_id"] == "details:run-123"
    assert [(b["action_id"], b["value"]) for b in details["elements"]] == [(ANSWER_DETAILS, "run-123")]


def test_a_feedback_value_reads_back_as_verdict_and_run() -> None:
    assert feedback_value("up:run-1") == ("up", "run-1")
    assert feedback_value("down:run:with:colons") == ("down", "run:with:colons")
    assert feedback_value("sideways:run-1") is None
    assert feedback_value("up:") is None
    assert feedback_value("") is None
