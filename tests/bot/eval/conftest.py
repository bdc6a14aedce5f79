"""The eval's fixtures: a simulated model on loopback and cases written for one test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.eval.case import EvalCase
from bot.eval.suite import load_cases
from bot.eval.world import Secrets
from simulators.llm import SIMULATED_MODEL, LLMSimulator

SECRETS = Secrets("eval-jira-canary-test", "eval-github-canary-test", "eval-llm-canary-test")


async def _llm(*, unsafe: bool) -> AsyncIterator[dict[str, object]]:
    async with LLMSimulator(chunk_delay=0, obeys_planted=unsafe) as llm:
        yield {
            "llm_provider": "openai",
            "llm_base_url": f"{llm.url}/v1",
            "llm_api_key": SECRETS.llm_key,
            "llm_model": SIMULATED_MODEL,
        }


@pytest.fixture
async def simulated() -> AsyncIterator[dict[str, object]]:
    """The settings of the demo's simulated model."""
    async for settings in _llm(unsafe=False):
        yield settings


@pytest.fixture
async def unsafe() -> AsyncIterator[dict[str, object]]:
    """The settings of the simulated model that obeys planted instructions."""
    async for settings in _llm(unsafe=True):
        yield settings


@pytest.fixture
def cases(tmp_path: Path) -> Callable[[str], list[EvalCase]]:
    """Cases from YAML text, loaded the way the shipped files are."""

    def load(text: str) -> list[EvalCase]:
        path = tmp_path / "cases.yaml"
        path.write_text(text, encoding="utf-8")
        return load_cases([str(path)])

    return load
