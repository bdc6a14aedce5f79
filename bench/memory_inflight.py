"""Memory benchmark: the RSS of `chatops serve` with N runs in flight against a slow SIMULATED LLM.

Not a test: it prints figures. N signed `/ask` commands arrive at once; the LLM simulator pauses
``--chunk-delay`` seconds between stream chunks, so runs stay open. MAX_CONCURRENT_RUNS caps
how many execute (the setting allows at most 256); the rest wait in the dispatcher, accepted and
tracked, which is "in flight" from Slack's side too. RSS (and its high-water mark) is read from
/proc for the serve process while the runs are open, and compared with the idle process.

Usage: .venv/bin/python bench/memory_inflight.py [--n 1000] [--max-runs 256] [--chunk-delay 0.5]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from slack_sdk.signature import SignatureVerifier

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import load_ask


def rss_mib(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of ``pid`` in MiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


async def measure(n: int, max_runs: int, chunk_delay: float, hold_s: float) -> None:
    upstreams = load_ask.Upstreams(chunk_delay)
    await upstreams.start()
    try:
        with tempfile.TemporaryDirectory(prefix="chatops-mem-") as scratch:
            options = load_ask.Options(n, max_runs, chunk_delay, 1, 600.0, 5.0, True, None)
            bot = await load_ask.start_bot(upstreams, Path(scratch), options)
            pid = bot.process.pid
            try:
                idle, _ = rss_mib(pid)
                verifier = SignatureVerifier(load_ask.SIGNING_SECRET)
                requests = [load_ask.command(i, verifier, upstreams.slack.url) for i in range(n)]
                started = time.monotonic()
                _, acks = await load_ask.fire(bot.url, requests)
                acked = sum(1 for ack in acks if ack.status == "200")
                samples: list[tuple[float, float, int]] = []
                deadline = time.monotonic() + hold_s
                while time.monotonic() < deadline:
                    rss, _ = rss_mib(pid)
                    llm = await upstreams.run(_llm_requests(upstreams))
                    samples.append((time.monotonic() - started, rss, llm))
                    await asyncio.sleep(0.5)
                _, hwm = rss_mib(pid)
                terminals = await load_ask.wait_for_answers(upstreams, n, 0.1)
            finally:
                await load_ask.stop_bot(bot, 5.0)
    finally:
        await upstreams.stop()
    peak = max(rss for _, rss, _ in samples)
    print(
        f"runs accepted (ack 200): {acked}/{n}; executing at most {max_runs}; chunk delay {chunk_delay:g} s"
    )
    print(f"answers finished while measuring: {len(terminals)} (at least {n - len(terminals)} still open)")
    print(
        f"serve RSS idle {idle:.1f} MiB; with the runs in flight: peak {peak:.1f}, high-water {hwm:.1f} MiB"
    )
    print(f"per accepted run: {(peak - idle) * 1024 / max(1, acked):.1f} KiB")
    for at, rss, llm in samples[:: max(1, len(samples) // 8)]:
        print(f"  t={at:5.1f} s  RSS {rss:7.1f} MiB  LLM requests so far {llm}")


async def _llm_requests(upstreams: load_ask.Upstreams) -> int:
    return len(upstreams.llm.requests)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=1_000)
    parser.add_argument("--max-runs", type=int, default=256)
    parser.add_argument("--chunk-delay", type=float, default=0.5)
    parser.add_argument("--hold", type=float, default=20.0, help="seconds to sample while runs are open")
    args = parser.parse_args(argv)
    asyncio.run(measure(args.n, args.max_runs, args.chunk_delay, args.hold))
    return 0


if __name__ == "__main__":
    sys.exit(main())
