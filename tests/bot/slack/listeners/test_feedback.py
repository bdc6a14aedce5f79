"""What a 👍 / 👎 click says back to the person who clicked."""

from __future__ import annotations

from bot.slack.listeners.feedback import thanks


def test_thanks_names_the_vote() -> None:
    assert "👍" in thanks("up") and "👎" not in thanks("up")
    assert "👎" in thanks("down")
