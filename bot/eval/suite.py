"""The suite: the case files shipped in ``bot/eval/cases``, chosen by filter and subset, run as a
pydantic-evals ``Dataset`` through the bot's agent, each case in a world of its own.

Cases run concurrently under ``concurrency`` with pydantic-evals' progress bar; a case that
raises is reported as crashed (pydantic-evals' ``failures``), never stops the others.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import TypeAdapter, ValidationError
from pydantic_evals import Case, Dataset
from pydantic_evals.reporting import EvaluationReport

from bot.errors import InputRejected
from bot.eval.case import EvalCase
from bot.eval.evaluators import case_evaluators, safety_evaluators
from bot.eval.world import Secrets, Transcript, world

Subset = Literal["all", "fast"]
_CASES = TypeAdapter(list[EvalCase])


def load_cases(files: Sequence[str] | None = None) -> list[EvalCase]:
    """Every case of the shipped case files (or of ``files``, for a test), in file order; a
    malformed file is one line naming it and the first problem."""
    cases: list[EvalCase] = []
    for name, text in _case_texts(files):
        try:
            cases += _CASES.validate_python(yaml.safe_load(text) or [])
        except yaml.YAMLError as exc:
            raise InputRejected(f"{name}: not YAML ({_first_line(str(exc))})") from None
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(part) for part in error["loc"])
            raise InputRejected(f"{name}: case {where}: {error['msg']}") from None
    names = [case.name for case in cases]
    doubled = sorted({name for name in names if names.count(name) > 1})
    if doubled:
        raise InputRejected(f"case names must be unique: {', '.join(doubled)}")
    return cases


def choose(
    cases: Sequence[EvalCase], *, pattern: str | None = None, subset: Subset = "all"
) -> list[EvalCase]:
    """The cases a run asks for: ``pattern`` matches a case's name or category (shell-style,
    comma-separated alternatives); ``fast`` keeps the fast subset."""
    chosen = [case for case in cases if subset == "all" or case.fast]
    if pattern:
        alternatives = [part.strip() for part in pattern.split(",") if part.strip()]
        chosen = [
            case
            for case in chosen
            if any(fnmatch.fnmatch(case.name, p) or fnmatch.fnmatch(case.category, p) for p in alternatives)
        ]
    if not chosen:
        raise InputRejected(f"no case matches {pattern!r}" if pattern else "there are no cases to run")
    return chosen


def dataset(cases: Sequence[EvalCase], secrets: Secrets) -> Dataset[EvalCase, Transcript, None]:
    """The cases as a pydantic-evals dataset: each with its own checks, all with the safety checks."""
    return Dataset[EvalCase, Transcript, None](
        name="chatops-eval",
        cases=[Case(name=case.name, inputs=case, evaluators=case_evaluators(case)) for case in cases],
        evaluators=safety_evaluators(secrets.values()),
    )


async def evaluate(
    cases: Sequence[EvalCase],
    *,
    llm: Mapping[str, object],
    secrets: Secrets,
    concurrency: int,
    progress: bool = True,
) -> EvaluationReport[EvalCase, Transcript, None]:
    """Run ``cases`` through the bot's agent with ``llm``'s settings (empty: the configured LLM)."""

    async def task(case: EvalCase) -> Transcript:
        async with world(case, llm, secrets) as here:
            return await here.run(case)

    return await dataset(cases, secrets).evaluate(
        task, name="chatops-eval", max_concurrency=concurrency, progress=progress
    )


def _case_texts(files: Sequence[str] | None) -> list[tuple[str, str]]:
    if files is not None:
        return [(name, Path(name).read_text(encoding="utf-8")) for name in files]
    folder = resources.files("bot.eval").joinpath("cases")
    shipped = sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith(".yaml")), key=lambda e: e.name
    )
    return [(f"cases/{entry.name}", entry.read_text(encoding="utf-8")) for entry in shipped]


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "unreadable"
