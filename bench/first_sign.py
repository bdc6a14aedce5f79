"""Ack → first visible sign: how long after Slack gets its ack the asker sees the run at work.

Not a test: it prints figures. One signed `/ask` at a time (so queueing behind other runs is not
what is measured) against the real `chatops serve` with the SIMULATED upstreams of
bench/load_ask.py. The first sign is the run's first Slack call in that conversation — the
"thinking…" status (`assistant.threads.setStatus`) or the opening of the answer's stream or
message — as the Slack simulator records it; the listener's own "asked:" post is not the run's.

Usage: .venv/bin/python bench/first_sign.py [--n 30] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from slack_sdk.signature import SignatureVerifier

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import load_ask

RUN_SIGNS = ("assistant.threads.setStatus", "chat.startStream")


def first_sign_at(upstreams: load_ask.Upstreams, channel: str, after: float) -> float | None:
    for call in upstreams.slack.calls():
        if call.at < after:
            continue
        where = call.args.get("channel_id") or call.args.get("channel")
        if where != channel:
            continue
        if call.method in RUN_SIGNS or (call.method == "chat.postMessage" and call.args.get("thread_ts")):
            return call.at
    return None


async def one_round(n: int) -> list[float]:
    upstreams = load_ask.Upstreams(chunk_delay=0.0)
    await upstreams.start()
    options = load_ask.Options(
        n=n, max_runs=8, chunk_delay=0.0, repeat=1, timeout=60, grace=5, warm_up=False, profile=None
    )
    waits: list[float] = []
    try:
        with tempfile.TemporaryDirectory(prefix="chatops-bench-") as scratch:
            bot = await load_ask.start_bot(upstreams, Path(scratch), options)
            verifier = SignatureVerifier(load_ask.SIGNING_SECRET)
            try:
                async with aiohttp.ClientSession() as session:
                    for index in range(n + 2):  # the first two warm the process up
                        body, headers = load_ask.command(index, verifier, upstreams.slack.url)
                        async with session.post(
                            f"{bot.url}/slack/events", data=body, headers=headers
                        ) as response:
                            assert response.status == 200, response.status
                        acked = time.monotonic()
                        channel = load_ask.channel_of(index)
                        seen = None
                        for _ in range(4000):
                            seen = first_sign_at(upstreams, channel, acked)
                            if seen is not None:
                                break
                            await asyncio.sleep(0.002)
                        if seen is None:
                            raise RuntimeError(f"no sign of the run in {channel}")
                        if index >= 2:
                            waits.append((seen - acked) * 1000)
                        await asyncio.sleep(0.3)  # let the answer finish before the next question
            finally:
                await load_ask.stop_bot(bot, 5)
    finally:
        await upstreams.stop()
    return waits


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    medians = []
    for round_index in range(options.repeat):
        waits = await one_round(options.n)
        median = statistics.median(waits)
        medians.append(median)
        p90 = statistics.quantiles(waits, n=10)[-1]
        print(
            f"round {round_index + 1}: ack → first sign median {median:.1f} ms, "
            f"p90 {p90:.1f} ms, max {max(waits):.1f} ms"
        )
    print(
        f"median of medians: {statistics.median(medians):.1f} ms "
        f"over {options.repeat} round(s) of {options.n}"
    )


if __name__ == "__main__":
    asyncio.run(main())
