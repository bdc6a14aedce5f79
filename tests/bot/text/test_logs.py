"""Log reduction: a large log cut to its error lines with context and its tail, within a budget."""

from __future__ import annotations

from bot.text.logs import CONTEXT_LINES, TAIL_LINES, error_lines, reduce_log

ERROR = "12:00:07 ERROR payments-api: connection refused to db:5432"


def log(lines: int, *, errors: dict[int, str] | None = None) -> str:
    body = [f"12:00:00 INFO step {n} done, nothing to see here at all" for n in range(lines)]
    for index, line in (errors or {}).items():
        body[index] = line
    return "\n".join(body)


def test_a_log_within_the_budget_is_given_whole() -> None:
    text = log(10, errors={5: ERROR})
    assert reduce_log(text, budget=10_000) == text


def test_a_large_log_keeps_its_error_lines_with_context_and_its_tail_within_the_budget() -> None:
    text = log(2000, errors={700: ERROR})

    reduced = reduce_log(text, budget=4000)

    assert len(reduced) <= 4000
    kept = reduced.splitlines()
    assert kept[0].startswith("[Log reduced from 2,000 lines: 1 error lines")
    assert ERROR in kept
    for near in range(700 - CONTEXT_LINES, 700 + CONTEXT_LINES + 1):
        assert any(f"step {near} done" in line for line in kept) or near == 700
    assert "step 650 done" not in reduced  # far from the error
    assert kept[-1].endswith(f"step {1999} done, nothing to see here at all")
    assert f"step {2000 - TAIL_LINES} done" in reduced
    assert "[… " in reduced and "lines left out …]" in reduced


def test_the_first_errors_are_kept_when_not_all_fit() -> None:
    errors = {index: f"12:00:{index} FATAL failure number {index}" for index in range(100, 1900, 10)}
    reduced = reduce_log(log(2000, errors=errors), budget=3000)

    assert len(reduced) <= 3000
    assert "failure number 100" in reduced
    assert "failure number 1800" not in reduced


def test_an_endless_line_is_clipped() -> None:
    text = "x" * 50_000 + "\n" + ERROR
    reduced = reduce_log(text, budget=2000)
    assert ERROR in reduced and len(reduced) <= 2000


def test_error_lines_names_the_lines_that_name_an_error() -> None:
    assert error_lines(log(5, errors={1: ERROR, 3: "Traceback (most recent call last):"})) == [
        ERROR,
        "Traceback (most recent call last):",
    ]
