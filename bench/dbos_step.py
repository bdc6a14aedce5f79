"""DBOS checkpoint cost: what one durable step costs on SQLite and on PostgreSQL (dbos 3.4).

Not a test: it prints medians over ``--rounds`` rounds of
  - a no-op step (its checkpoint read + write, timed inside the workflow),
  - a step returning ~2 KB (the size of a Slack message or a tool result),
  - an empty workflow: ``start_workflow_async`` alone, and start + awaited result.

SQLite is a file in a fresh temporary directory on the working disk (``--sqlite-dir`` to move
it). PostgreSQL is a throwaway server started as the test suite starts it
(tests/postgres_server.py: fsync off, so its figures are a lower bound), or ``--postgres-url``.

Usage: .venv/bin/python bench/dbos_step.py [--rounds 30] [--steps 20] [--backend sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from dbos import DBOS, DBOSConfig

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from databases import postgres_database

PAYLOAD = "x" * 2048


@DBOS.step(name="noop")
async def noop() -> None:
    return None


@DBOS.step(name="payload")
async def payload() -> str:
    return PAYLOAD


@DBOS.workflow(name="timed_steps")
async def timed_steps(kind: str, count: int) -> list[float]:
    """Each step's wall time in ms, as the workflow sees it (checkpoint check + run + record)."""
    step = noop if kind == "noop" else payload
    durations = []
    for _ in range(count):
        began = time.perf_counter()
        await step()
        durations.append((time.perf_counter() - began) * 1000)
    return durations


@DBOS.workflow(name="empty")
async def empty() -> None:
    return None


async def median_ms(rounds: int, action: Callable[[], Awaitable[object]]) -> float:
    samples = []
    for _ in range(rounds):
        began = time.perf_counter()
        await action()
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples)


async def start_only() -> None:
    await DBOS.start_workflow_async(empty)


async def start_and_wait() -> None:
    handle = await DBOS.start_workflow_async(empty)
    await handle.get_result()


async def measure(label: str, url: str, rounds: int, steps: int) -> None:
    config: DBOSConfig = {
        "name": "dbos-bench",
        "system_database_url": url,
        "application_version": "bench",
        "executor_id": "bench",
        "log_level": "WARNING",
    }
    DBOS(config=config)
    DBOS.launch()
    try:
        await median_ms(5, start_and_wait)  # warm the pool and the caches
        per_step = {}
        for kind in ("noop", "payload"):
            samples: list[float] = []
            for _ in range(rounds):
                handle = await DBOS.start_workflow_async(timed_steps, kind, steps)
                samples.extend(await handle.get_result())
            per_step[kind] = statistics.median(samples)
        start = await median_ms(rounds, start_only)
        start_wait = await median_ms(rounds, start_and_wait)
    finally:
        await asyncio.to_thread(DBOS.destroy)
    print(
        f"{label:<11} no-op step {per_step['noop']:6.2f} ms   2 KB step {per_step['payload']:6.2f} ms   "
        f"start {start:6.2f} ms   start+result {start_wait:6.2f} ms"
    )


async def run(options: argparse.Namespace) -> None:
    print(f"dbos 3.4 checkpoint cost: medians of {options.rounds} rounds × {options.steps} steps")
    if options.backend in ("sqlite", "both"):
        directory = tempfile.mkdtemp(prefix="dbos-bench-", dir=options.sqlite_dir)
        await measure("sqlite", f"sqlite:///{directory}/system.sqlite", options.rounds, options.steps)
    if options.backend in ("postgresql", "both"):
        with postgres_database(options.postgres_url) as url:
            if url is not None:
                await measure("postgresql", url, options.rounds, options.steps)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--steps", type=int, default=20, help="steps per timed workflow")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--postgres-url", help="an existing database instead of a throwaway server")
    parser.add_argument("--sqlite-dir", help="where the SQLite file goes (default: the temp directory)")
    options = parser.parse_args()
    if options.rounds < 1 or options.steps < 1:
        parser.error("--rounds and --steps must be at least 1")
    asyncio.run(run(options))


if __name__ == "__main__":
    main()
