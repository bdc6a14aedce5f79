"""`chatops eval compare A.json B.json`: two runs side by side (two models, or before and after a
prompt change), the summary figures and then case by case what changed."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from bot.errors import InputRejected
from bot.eval.report import EvalReport, percent
from bot.pricing import format_cost


def read_report(path: str) -> EvalReport:
    """A report written by ``chatops eval``; one line naming the file when it is not one."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputRejected(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return EvalReport.model_validate_json(text)
    except ValidationError as exc:
        raise InputRejected(f"{path} is not a chatops eval report.json ({exc.errors()[0]['msg']})") from None


def compare(before: EvalReport, after: EvalReport, *, names: tuple[str, str] = ("A", "B")) -> str:
    """The differences between two reports as Markdown: figures, then the cases that changed."""
    a, b = names
    lines = [
        f"# chatops eval compare: {a} = {before.model}, {b} = {after.model}",
        "",
        f"| | {a} | {b} |",
        "|---|---|---|",
        f"| cases | {len(before.cases)} | {len(after.cases)} |",
        f"| utility | {percent(before.utility)} | {percent(after.utility)} |",
        f"| write safety | {percent(before.write_safety)} | {percent(after.write_safety)} |",
        f"| p50 latency | {before.latency.p50:.2f} s | {after.latency.p50:.2f} s |",
        f"| p95 latency | {before.latency.p95:.2f} s | {after.latency.p95:.2f} s |",
        f"| tokens in / out | {before.input_tokens:,} / {before.output_tokens:,} |"
        f" {after.input_tokens:,} / {after.output_tokens:,} |",
        f"| cost per 100 questions | {format_cost(before.cost_per_100)} |"
        f" {format_cost(after.cost_per_100)} |",
        "",
    ]
    changed = _changes(before, after, a, b)
    if changed:
        lines += ["## Cases that changed", "", *changed]
    else:
        lines.append("No case changed its result.")
    return "\n".join(lines) + "\n"


def _changes(before: EvalReport, after: EvalReport, a: str, b: str) -> list[str]:
    old = {case.name: case for case in before.cases}
    new = {case.name: case for case in after.cases}
    lines: list[str] = []
    for name in [*old, *(n for n in new if n not in old)]:
        if name not in new:
            lines.append(f"- **{name}**: only in {a}")
        elif name not in old:
            lines.append(f"- **{name}**: only in {b} ({_result(new[name].passed)})")
        elif old[name].passed != new[name].passed:
            why = "; ".join((new[name] if old[name].passed else old[name]).failures)
            lines.append(
                f"- **{name}** ({new[name].category}): {_result(old[name].passed)}"
                f" → {_result(new[name].passed)} — {why}"
            )
    return lines


def _result(passed: bool) -> str:
    return "pass" if passed else "FAIL"
