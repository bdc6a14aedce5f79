"""Ack benchmark: N concurrent signed `/ask` against `chatops serve`, and against a bare server (the ceiling).

Not a test: it prints figures. The bare server is an aiohttp app in its own process that only
verifies the Slack signature and answers 200, so the ratio of the two p50s is what everything
else on the ack path (Bolt, de-duplication, intake) costs. The serve figures come from
bench/load_ask.py (the same request bodies, the same client).

Usage: .venv/bin/python bench/ack_ceiling.py [--n 200] [--repeat 3] [--max-runs 8]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import aiohttp
from aiohttp import web
from slack_sdk.signature import SignatureVerifier

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import load_ask


def bare_app() -> web.Application:
    verifier = SignatureVerifier(load_ask.SIGNING_SECRET)

    async def events(request: web.Request) -> web.Response:
        body = await request.text()
        if not verifier.is_valid_request(body, dict(request.headers)):
            return web.Response(status=401)
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/slack/events", events)
    return app


async def start_bare(port: int) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--bare-server", str(port), stdin=asyncio.subprocess.DEVNULL
    )
    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            try:
                async with session.post(f"http://127.0.0.1:{port}/slack/events", data="") as response:
                    if response.status == 401:
                        return process
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    process.kill()
    raise RuntimeError("the bare server did not start")


async def bare_round(n: int) -> list[float]:
    port = load_ask._free_port()
    process = await start_bare(port)
    try:
        verifier = SignatureVerifier(load_ask.SIGNING_SECRET)
        requests = [load_ask.command(i, verifier, "http://127.0.0.1:9") for i in range(n)]
        _, acks = await load_ask.fire(f"http://127.0.0.1:{port}", requests)
    finally:
        process.terminate()
        await process.wait()
    bad = [ack.status for ack in acks if ack.status != "200"]
    if bad:
        raise RuntimeError(f"the bare server answered {bad[:5]}")
    return [ack.ms for ack in acks]


async def main_async(n: int, repeat: int, max_runs: int) -> None:
    rows: list[tuple[float, float, float, float]] = []
    # Every bare round first: a serve round leaves this process busy for a while after it ends
    # (simulators closing, answers settling), which once made the ceiling look slower than serve.
    bares = [await bare_round(n) for _ in range(repeat)]
    for index, bare in enumerate(bares, start=1):
        options = load_ask.Options(n, max_runs, 0.01, 1, 300.0, 20.0, True, None)
        started = time.monotonic()
        figures = await load_ask.round_(options)
        serve = [ack.ms for ack in figures.acks]
        row = (
            load_ask.percentile(serve, 50),
            load_ask.percentile(serve, 99),
            load_ask.percentile(bare, 50),
            load_ask.percentile(bare, 99),
        )
        rows.append(row)
        print(
            f"round {index}: serve ack p50 {row[0]:.1f} ms p99 {row[1]:.1f} ms | bare p50 {row[2]:.1f} ms "
            f"p99 {row[3]:.1f} ms | ratio p50 {row[0] / row[2]:.2f} p99 {row[1] / row[3]:.2f} "
            f"| answers {figures.completed}/{n} ({time.monotonic() - started:.0f} s)"
        )
    med = [statistics.median(row[i] for row in rows) for i in range(4)]
    print(
        f"\nmedian of {repeat}: serve p50 {med[0]:.1f} ms, p99 {med[1]:.1f} ms; bare p50 {med[2]:.1f} ms, "
        f"p99 {med[3]:.1f} ms; serve/bare p50 {med[0] / med[2]:.2f}x, p99 {med[1] / med[3]:.2f}x"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--max-runs", type=int, default=8)
    parser.add_argument("--bare-server", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.bare_server:
        web.run_app(bare_app(), host="127.0.0.1", port=args.bare_server, print=None)
        return 0
    asyncio.run(main_async(args.n, args.repeat, args.max_runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
