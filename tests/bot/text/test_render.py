"""Escaping untrusted text for Slack and splitting long text."""

from __future__ import annotations

import random
import re

import pytest

from bot.text.render import (
    ELLIPSIS,
    ZERO_WIDTH_JOINER,
    StreamEscaper,
    clip,
    clip_start,
    cut_index,
    escape,
    escape_clipped,
    link,
    split_text,
)

ZWJ = ZERO_WIDTH_JOINER


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("<!channel> deploy now", "&lt;!channel&gt; deploy now"),
        ("ping <@U123|bob>", "ping &lt;@U123|bob&gt;"),
        ("see <#C42> and <!subteam^S1>", "see &lt;#C42&gt; and &lt;!subteam^S1&gt;"),
        ("<https://evil.example|docs>", "&lt;https://evil.example|docs&gt;"),
        ("a & b > c", "a &amp; b &gt; c"),
        ("&lt; stays literal", "&amp;lt; stays literal"),
        ("hey @here and @Channel, @everyone!", f"hey @{ZWJ}here and @{ZWJ}Channel, @{ZWJ}everyone!"),
        ("mail ops@example.com @bob", "mail ops@example.com @bob"),
    ],
)
def test_escape_neutralises_control_sequences(raw: str, safe: str) -> None:
    assert escape(raw) == safe


def random_text(rng: random.Random, length: int) -> str:
    alphabet = list("ab @<>&|!^#\n") + ["channel", "here", "everyone", "@chan", "HERE", "<@U1>", "&amp;"]
    return "".join(rng.choice(alphabet) for _ in range(length))


def random_split(rng: random.Random, text: str) -> list[str]:
    cuts = sorted(rng.sample(range(len(text) + 1), k=min(len(text) + 1, rng.randint(0, 12))))
    return [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]


@pytest.mark.parametrize("seed", range(300))
def test_stream_escaper_equals_escaping_the_whole(seed: int) -> None:
    rng = random.Random(seed)
    text = random_text(rng, rng.randint(0, 60))
    escaper = StreamEscaper()
    streamed = "".join(escaper.feed(chunk) for chunk in random_split(rng, text)) + escaper.flush()
    assert streamed == escape(text)


def test_stream_escaper_holds_back_a_mention_split_across_chunks() -> None:
    escaper = StreamEscaper()
    outputs = [escaper.feed(chunk) for chunk in ("tell @", "ev", "eryone now <", "!here>")]
    outputs.append(escaper.flush())
    assert outputs[:2] == ["tell ", ""]
    joined = "".join(outputs)
    assert "@everyone" not in joined and "<!here>" not in joined
    assert joined == f"tell @{ZWJ}everyone now &lt;!here&gt;"


@pytest.mark.parametrize("seed", range(200))
def test_split_text_never_loses_duplicates_or_overflows(seed: int) -> None:
    rng = random.Random(seed)
    words = ["lorem", "ipsum", "\n", "\n\n", " ", "x" * rng.randint(1, 40), "&amp;"]
    text = "".join(rng.choice(words) for _ in range(rng.randint(0, 200)))
    limit = rng.randint(1, 80)
    pieces = split_text(text, limit)
    assert "".join(pieces) == text
    assert all(0 < len(piece) <= limit for piece in pieces)


def test_split_prefers_paragraphs_then_lines_then_spaces() -> None:
    text = "first paragraph.\n\nsecond line one\nsecond line two and more words"
    expected = ["first paragraph.\n\n", "second line one\n", "second line two and more ", "words"]
    assert split_text(text, 28) == expected


def test_hard_cut_does_not_split_an_entity() -> None:
    text = "x" * 8 + "&amp;" + "y" * 8
    assert cut_index(text, 10) == 8


def test_cut_index_with_no_room_cuts_nothing() -> None:
    assert cut_index("abc", 0) == 0
    assert cut_index("abc", 5) == 3


ENTITY_OR_TEXT = re.compile(r"(?:&(?:amp|lt|gt);|[^&])*")


@pytest.mark.parametrize("seed", range(300))
def test_escape_clipped_fits_the_limit_after_escaping_and_keeps_entities_whole(seed: int) -> None:
    rng = random.Random(seed)
    text = random_text(rng, rng.randint(0, 120))
    limit = rng.randint(0, 200)
    clipped = escape_clipped(text, limit)
    escaped = escape(text)
    assert len(clipped) <= limit
    if len(escaped) <= limit:
        assert clipped == escaped
    elif clipped:
        head = clipped.removesuffix(ELLIPSIS)
        assert clipped.endswith(ELLIPSIS) and escaped.startswith(head)
        assert ENTITY_OR_TEXT.fullmatch(head), "no entity cut in half"
    for live in ("<!", "<@", "@here", "@channel", "@everyone"):
        assert live not in clipped


@pytest.mark.parametrize(("char", "entity"), [("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")])
@pytest.mark.parametrize("limit", [1, 2, 5, 6, 299, 300, 2000, 3000])
def test_text_that_escaping_makes_longer_is_clipped_at_the_limit_on_whole_entities(
    char: str, entity: str, limit: int
) -> None:
    at_limit = escape_clipped(char * limit, limit)
    assert len(at_limit) <= limit
    assert at_limit.removesuffix(ELLIPSIS).replace(entity, "") == ""
    assert at_limit.endswith(ELLIPSIS) and len(at_limit) > limit - len(entity) - 1
    assert escape_clipped(char * (limit // len(entity)), limit) == entity * (limit // len(entity))


def test_clip_never_cuts_a_link_in_half() -> None:
    safe = "see <https://acme.atlassian.net/browse/OPS-1|OPS-1> now"
    assert clip(safe, len(safe)) == safe
    assert clip(safe, 30) == "see …"
    assert clip(safe, len(safe) - 1) == "see <https://acme.atlassian.net/browse/OPS-1|OPS-1> n…"
    assert clip(safe, 0) == ""


def test_clip_start_keeps_the_end_from_a_whole_entity() -> None:
    assert clip_start("ab&amp;cd", 6) == "cd"
    assert clip_start("ab&amp;cd", 7) == "&amp;cd"
    assert clip_start("ab&amp;cd", 9) == "ab&amp;cd"
    assert clip_start("abc", 0) == ""


def test_a_link_url_cannot_end_the_sequence_early() -> None:
    assert link("https://acme.example/a?b=1&c=2|x>y<z", "OPS-1") == (
        "<https://acme.example/a?b=1&amp;c=2%7Cx%3Ey%3Cz|OPS-1>"
    )
