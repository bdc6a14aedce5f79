"""`chatops eval`: the suite against a model, its report written and printed, and the exit status
that gates on write safety; `chatops eval compare A.json B.json`.

``--model configured`` is the LLM the bot's settings name (LLM_PROVIDER, LLM_BASE_URL,
LLM_MODEL, LLM_API_KEY…); ``simulated`` is the demo's rule-based model and ``simulated-unsafe``
the same one made to obey instructions planted in tool results. Jira, GitHub, CI and the
team's MCP server are always the SIMULATED ones, so every model answers the same questions
about the same data. Exit status: 0; 1 when write safety is below ``--min-write-safety`` or a
case crashed; 2 for a bad argument.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bot.config import Settings
from bot.errors import InputRejected
from bot.eval.compare import compare, read_report
from bot.eval.report import EvalReport, build_report, markdown, percent
from bot.eval.suite import choose, evaluate, load_cases
from bot.eval.world import Secrets
from bot.metrics import Metrics
from bot.pricing import PriceTable, format_cost
from bot.services import llm_agent
from simulators.llm import SIMULATED_MODEL, LLMSimulator


@dataclass
class Model:
    """The LLM settings a run uses, and what the report calls it."""

    label: str
    provider: str
    priced_as: str  # the model name LLM_PRICES and the built-in prices know it by
    llm: dict[str, object] = field(default_factory=dict)
    key: str = ""


async def run_eval(args: argparse.Namespace) -> int:
    if args.eval_command == "compare":
        print(compare(read_report(args.before), read_report(args.after)), end="")
        return 0
    if args.concurrency < 1:
        raise InputRejected("--concurrency must be at least 1")
    if not 0.0 <= args.min_write_safety <= 1.0:
        raise InputRejected("--min-write-safety is a share between 0 and 1, e.g. 1.0")
    cases = choose(load_cases(), pattern=args.cases, subset=args.subset)
    out = folder(Path(args.out))  # before the run: an unwritable --out is found in a second, not after
    base = Settings.load("eval")
    started, clock = datetime.now(UTC), time.perf_counter()
    async with model(args.model, base) as chosen:
        canaries = Secrets(_canary("jira"), _canary("github"), chosen.key)
        results = await evaluate(
            cases,
            llm=chosen.llm,
            secrets=canaries,
            concurrency=args.concurrency,
            progress=sys.stdout.isatty(),
        )
    report = build_report(
        results,
        model=chosen.label,
        provider=chosen.provider,
        priced_as=chosen.priced_as,
        prices=PriceTable.from_setting(base.llm_prices),
        started_at=started,
        seconds=time.perf_counter() - clock,
        concurrency=args.concurrency,
        order=[case.name for case in cases],
    )
    write(report, out)
    Console(highlight=False).print(table(report))
    print(f"report: {out / 'report.json'} and {out / 'report.md'}")
    return verdict(report, args.min_write_safety)


@asynccontextmanager
async def model(name: str, base: Settings) -> AsyncIterator[Model]:
    """The chosen model's settings; a simulated one is served on loopback for the run."""
    if name == "configured":
        # Built once before any case: a missing key is one line now, not a crash in every case.
        await llm_agent(base, None, None, Metrics(), []).aclose()
        key = base.llm_api_key.get_secret_value() if base.llm_api_key else ""
        yield Model(base.llm_model, base.llm_provider, base.llm_model, key=key)
        return
    async with LLMSimulator(chunk_delay=0, obeys_planted=name == "simulated-unsafe") as llm:
        key = _canary("llm")
        settings: dict[str, object] = {
            "llm_provider": "openai",
            "llm_base_url": f"{llm.url}/v1",
            "llm_api_key": key,
            "llm_model": SIMULATED_MODEL,
            "llm_prices": "",
        }
        yield Model(f"{name} (SIMULATED)", "openai", SIMULATED_MODEL, settings, key)


def folder(out: Path) -> Path:
    """``out``, made if need be; one line when it cannot be."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputRejected(f"cannot write the report to {out}: {exc.strerror or exc}") from None
    return out


def write(report: EvalReport, out: Path) -> None:
    """``report.json`` and ``report.md`` in ``out``, each written whole or not at all."""
    try:
        for name, text in (
            ("report.json", report.model_dump_json(indent=2)),
            ("report.md", markdown(report)),
        ):
            partial = out / f".{name}.partial"
            partial.write_text(text, encoding="utf-8")
            partial.replace(out / name)
    except OSError as exc:
        raise InputRejected(f"cannot write the report to {out}: {exc.strerror or exc}") from None


def verdict(report: EvalReport, min_write_safety: float) -> int:
    """The exit status, with one line on stderr saying why it is not 0."""
    problems = []
    if report.crashed:
        crashed = [case.name for case in report.cases if case.crashed]
        problems.append(f"{report.crashed} case(s) crashed: {', '.join(crashed)}")
    if report.write_safety is not None and report.write_safety < min_write_safety:
        unsafe = ", ".join(case.name for case in report.unsafe)
        problems.append(
            f"write safety {percent(report.write_safety)} is below {percent(min_write_safety)};"
            f" unsafe: {unsafe}"
        )
    for problem in problems:
        print(f"chatops eval: {problem}", file=sys.stderr)
    return 1 if problems else 0


def table(report: EvalReport) -> Table:
    summary = Table(
        title=f"chatops eval — {report.model} — {len(report.cases)} cases in {report.seconds:.1f} s"
    )
    for column in ("category", "cases", "passed", "rate"):
        summary.add_column(column, justify="left" if column == "category" else "right")
    for category in report.categories:
        summary.add_row(category.category, str(category.cases), str(category.passed), percent(category.rate))
    summary.add_section()
    summary.add_row(
        "utility", str(len(report.cases)), str(sum(c.passed for c in report.cases)), percent(report.utility)
    )
    summary.add_row("write safety", "", "", percent(report.write_safety))
    summary.caption = (
        f"latency p50 {report.latency.p50:.2f} s · p95 {report.latency.p95:.2f} s · tokens"
        f" {report.input_tokens:,} in / {report.output_tokens:,} out · cost per 100 questions"
        f" {format_cost(report.cost_per_100)}"
    )
    return summary


def _canary(service: str) -> str:
    return f"eval-{service}-canary-{secrets.token_hex(8)}"
