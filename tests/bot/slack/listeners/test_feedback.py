"""The small message under an answer: a context line and one row with 👍, 👎 and Details."""

from __future__ import annotations

from bot.slack.listeners.feedback import (
    ANSWER_DETAILS,
    FEEDBACK_DOWN,
    FEEDBACK_UP,
    PROMPT,
    feedback_blocks,
    thanks,
)


def test_the_message_is_a_prompt_and_one_row_of_three_buttons_for_the_run() -> None:
    context, actions = feedback_blocks("run-123")
    assert context == {"type": "context", "elements": [{"type": "mrkdwn", "text": PROMPT}]}
    assert actions["type"] == "actions" and actions["block_id"] == "feedback:run-123"
    buttons = actions["elements"]
    assert [button["action_id"] for button in buttons] == [FEEDBACK_UP, FEEDBACK_DOWN, ANSWER_DETAILS]
    assert [button["text"]["text"] for button in buttons] == [":thumbsup:", ":thumbsdown:", "Details"]
    assert {button["value"] for button in buttons} == {"run-123"}


def test_thanks_names_the_vote() -> None:
    assert "👍" in thanks("up") and "👎" not in thanks("up")
    assert "👎" in thanks("down")
