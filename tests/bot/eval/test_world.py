"""What the eval counts as a secret to look for."""

from __future__ import annotations

from bot.eval.world import Secrets


def test_a_placeholder_key_is_not_a_secret_to_look_for() -> None:
    canaries = ("eval-jira-canary-0123456789abcdef", "eval-github-canary-0123456789abcdef")
    assert Secrets(*canaries, "sk-proj-0123456789abcdefghij").values() == (
        *canaries,
        "sk-proj-0123456789abcdefghij",
    )
    for placeholder in ("", "k", "ollama", "local"):
        assert Secrets(*canaries, placeholder).values() == canaries
