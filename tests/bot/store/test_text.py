"""Text made storable: what the databases cannot keep is replaced, nothing else changes."""

from __future__ import annotations

from bot.store.text import clean_text


def test_clean_text_rejoins_split_surrogate_pairs() -> None:
    assert clean_text("\ud83d\ude00") == "\U0001f600"
    assert clean_text("plain") == "plain"
