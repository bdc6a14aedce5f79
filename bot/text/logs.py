"""Log reduction: a large log cut down to what explains a failure, within a character budget.

What matters in a log is where it went wrong and how it ended: the lines naming an error (with a
few lines around each) and the tail. The rest is left out, and the reduction says how much was.
"""

from __future__ import annotations

import re

# What the model reads of one attached log; a log this short is given whole.
LOG_BUDGET_CHARS = 8000
CONTEXT_LINES = 2  # kept before and after each error line
TAIL_LINES = 30
LINE_CHARS = 400  # one absurdly long line (a minified payload) must not eat the budget

ERROR_WORDS = re.compile(
    r"\b(error|errors|exception|fatal|failed|failure|fail|traceback|panic|panicked|critical|"
    r"crash(ed)?|killed|oomkilled|out of memory|denied|refused|timed out|timeout|abort(ed)?)\b",
    re.IGNORECASE,
)


def reduce_log(text: str, *, budget: int = LOG_BUDGET_CHARS) -> str:
    """``text`` if it fits ``budget``; else its error lines with context and its tail, in their
    original order, each gap marked, under a first line saying what was kept and left out."""
    if len(text) <= budget:
        return text
    lines = [_clip(line) for line in text.splitlines()]
    tail = set(range(max(0, len(lines) - TAIL_LINES), len(lines)))
    errors = [index for index, line in enumerate(lines) if ERROR_WORDS.search(line)]
    kept = _fit(lines, tail, errors, budget)
    header = (
        f"[Log reduced from {len(lines):,} lines: {sum(1 for i in errors if i in kept):,} error lines "
        f"with context and the last lines kept, {len(lines) - len(kept):,} lines left out.]"
    )
    return "\n".join([header, *_render(lines, kept)])


def error_lines(text: str) -> list[str]:
    """The lines of ``text`` that name an error, in order."""
    return [line for line in text.splitlines() if ERROR_WORDS.search(line)]


def _fit(lines: list[str], tail: set[int], errors: list[int], budget: int) -> set[int]:
    """The tail, then each error's window from the first error on, while the budget holds; the
    first errors are kept over later ones, as the first failure usually explains the rest."""
    kept: set[int] = set()
    used = 200  # room for the header and the gap markers
    for index in sorted(tail, reverse=True):
        cost = len(lines[index]) + 1
        if used + cost > budget:
            break
        kept.add(index)
        used += cost
    for error in errors:
        window = range(max(0, error - CONTEXT_LINES), min(len(lines), error + CONTEXT_LINES + 1))
        new = [index for index in window if index not in kept]
        cost = sum(len(lines[index]) + 1 for index in new) + 40
        if used + cost > budget:
            break
        kept.update(new)
        used += cost
    return kept


def _render(lines: list[str], kept: set[int]) -> list[str]:
    out: list[str] = []
    skipped = 0
    for index, line in enumerate(lines):
        if index not in kept:
            skipped += 1
            continue
        if skipped:
            out.append(f"[… {skipped:,} lines left out …]")
            skipped = 0
        out.append(line)
    if skipped:
        out.append(f"[… {skipped:,} lines left out …]")
    return out


def _clip(line: str) -> str:
    if len(line) <= LINE_CHARS:
        return line
    return f"{line[:LINE_CHARS]} [… {len(line) - LINE_CHARS:,} characters left out]"
