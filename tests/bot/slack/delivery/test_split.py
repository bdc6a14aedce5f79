"""Where long answers are cut: paragraphs and code-block edges, never inside a block that fits."""

from __future__ import annotations

import random

import pytest

from bot.slack.delivery.split import CLOSING_FENCE, Cut, fences, message_cut


def split_all(text: str, limit: int) -> list[str]:
    messages: list[str] = []
    while text:
        cut = message_cut(text, limit)
        messages.append(cut.head(text))
        text = cut.tail(text)
    return messages


def fence_lines(message: str) -> int:
    return sum(1 for line in message.splitlines() if line.lstrip(" ").startswith(("```", "~~~")))


def code_block(lines: int, width: int = 60, language: str = "python") -> str:
    body = "".join(f"print({'x' * (width - 8)}{n})\n" for n in range(lines))
    return f"```{language}\n{body}```\n"


def test_fences_are_found_with_their_opening_lines() -> None:
    text = "intro\n\n```python\ncode\n```\n\nmid\n~~~\nmore\n~~~\ntail\n```sh\nopen"
    found = fences(text)
    assert [(text[f.start : f.end], f.opener) for f in found] == [
        ("```python\ncode\n```\n", "```python\n"),
        ("~~~\nmore\n~~~\n", "~~~\n"),
        ("```sh\nopen", "```sh\n"),
    ]


def test_short_text_is_not_cut() -> None:
    assert message_cut("short", 10) == Cut(5)


def test_a_block_that_fits_is_moved_whole_to_the_next_message() -> None:
    prose = "Some prose.\n" + "word " * 40 + "\n\n"
    text = prose + code_block(20) + "after"
    cut = message_cut(text, len(prose) + 500)
    assert cut == Cut(len(prose))  # before the block, although lines inside it were nearer the cap


def test_a_paragraph_break_in_the_second_half_wins_over_a_nearer_line_break() -> None:
    text = "a" * 50 + "\n\n" + "b" * 30 + "\n" + "c" * 40
    assert message_cut(text, 100).at == 52


def test_only_a_block_longer_than_a_message_is_cut_and_reopened() -> None:
    text = code_block(40) + "\n\nafter the block"
    rebuilt, previous, messages = "", Cut(0), []
    rest = text
    while rest:
        cut = message_cut(rest, 1_000)
        message = cut.head(rest)
        messages.append(message)
        rebuilt += message.removesuffix(CLOSING_FENCE if cut.reopen else "").removeprefix(previous.reopen)
        previous, rest = cut, cut.tail(rest)

    assert len(messages) >= 3
    assert all(len(message) <= 1_000 for message in messages)
    assert all(fence_lines(message) % 2 == 0 for message in messages)  # each renders as whole code
    assert all(message.startswith("```python\n") for message in messages)
    assert rebuilt == text


@pytest.mark.parametrize("seed", range(20))
def test_any_markdown_is_split_losslessly_outside_blocks_that_fit(seed: int) -> None:
    rng = random.Random(seed)
    limit = 2_000
    parts = []
    for _ in range(rng.randint(10, 40)):
        kind = rng.random()
        if kind < 0.3:
            parts.append(code_block(rng.randint(1, 25), width=rng.randint(10, 70)))
        elif kind < 0.6:
            parts.append(" ".join("word" for _ in range(rng.randint(5, 120))) + "\n\n")
        else:
            parts.append("- item " + "y" * rng.randint(1, 50) + "\n")
    text = "".join(parts)
    messages = split_all(text, limit)
    assert "".join(messages) == text  # every block here fits a message: nothing added, nothing lost
    assert all(0 < len(message) <= limit for message in messages)
    assert all(fence_lines(message) % 2 == 0 for message in messages)
