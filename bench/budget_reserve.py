"""What a Slack budget costs per call when the buckets are shared through the database.

Not a test: it prints the median milliseconds over ``--rounds`` calls of
  - ``reserve``: taking a token (every waited-for Slack write: one upsert),
  - ``try``: taking a token only if one is free (writes that may not wait: the same upsert with
    a condition; here it always succeeds, the bucket is never short),
  - ``peek``: reading a bucket and its pause (``ready`` before an interim write),
for the in-process ledger, SQLite (a file) and PostgreSQL.

SQLite is a file in a fresh temporary directory on the working disk (``--sqlite-dir`` to move
it). PostgreSQL is a throwaway server started as the test suite starts it
(tests/postgres_server.py: fsync off, so its figures are a lower bound), or ``--postgres-url``.

Usage: .venv/bin/python bench/budget_reserve.py [--rounds 500] [--backend memory|sqlite|postgresql|all]
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from databases import postgres_database

from bot.slack.delivery.ledger import Bucket, Ledger, MemoryLedger, Rate, SharedLedger
from bot.store import Store

BUCKET = Bucket("T0BENCH", "chat.update")
# A bucket that never runs short, so every conditional reservation takes its token.
RATE = Rate(interval=1e-9, tolerance=1e6)


async def median_ms(rounds: int, action: Callable[[], Awaitable[object]]) -> float:
    samples = []
    for _ in range(rounds):
        began = time.perf_counter()
        await action()
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples)


async def measure(label: str, ledger: Ledger, rounds: int) -> None:
    async def reserve() -> object:
        return await ledger.reserve(BUCKET, RATE, time.time())

    async def attempt() -> object:
        return await ledger.reserve(BUCKET, RATE, time.time(), only_if_free_with=0)

    await median_ms(20, reserve)  # warm the pool and the statement caches
    figures = [await median_ms(rounds, action) for action in (reserve, attempt, lambda: ledger.peek(BUCKET))]
    print(f"{label:<11} reserve {figures[0]:7.3f} ms   try {figures[1]:7.3f} ms   peek {figures[2]:7.3f} ms")


async def on_database(label: str, url: str, rounds: int) -> None:
    store = await Store.open(url)
    try:
        await measure(label, SharedLedger(store), rounds)
    finally:
        await store.close()


async def run(options: argparse.Namespace) -> None:
    print(f"Slack budget ledger: medians of {options.rounds} calls each")
    if options.backend in ("memory", "all"):
        await measure("memory", MemoryLedger(), options.rounds)
    if options.backend in ("sqlite", "all"):
        directory = tempfile.mkdtemp(prefix="budget-bench-", dir=options.sqlite_dir)
        await on_database("sqlite", f"sqlite:///{directory}/chatops.db", options.rounds)
    if options.backend in ("postgresql", "all"):
        await on_postgres(options)


async def on_postgres(options: argparse.Namespace) -> None:
    with postgres_database(options.postgres_url) as url:
        if url is not None:
            await on_database("postgresql", url, options.rounds)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=500)
    parser.add_argument("--backend", choices=("memory", "sqlite", "postgresql", "all"), default="all")
    parser.add_argument("--postgres-url", help="an existing database instead of a throwaway server")
    parser.add_argument("--sqlite-dir", help="where the SQLite file goes (default: the temp directory)")
    options = parser.parse_args()
    if options.rounds < 1:
        parser.error("--rounds must be at least 1")
    asyncio.run(run(options))


if __name__ == "__main__":
    main()
