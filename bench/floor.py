"""Floor benchmark: N `/ask` over C channels against Slack's real tiers, next to Slack's own floor.

Not a test: it prints figures. The SIMULATED Slack enforces the documented tiers (429 +
Retry-After beyond them, `simulators/slack/tiers.py`, with `--burst` minutes of burst); Jira,
GitHub and the LLM are simulated as in bench/load_ask.py, and the bot runs as deployed
(`python -m bot serve`).

Slack's floor for the workload is what its limits alone allow, with no burst and instant thinking:
every `/ask` needs its parent message and at least one answer message in its channel, and Slack
takes about one `chat.postMessage` per second per channel, so

    floor = max over channels c of (2 · questions_in_c) / 1 s

(streaming is no cheaper: `chat.startStream` is Tier 2, about 20 a minute per workspace). The
ratio completion / floor says how far the bot is from it.

Usage: .venv/bin/python bench/floor.py [--n 200] [--channels 20] [--burst 0.05] [--timeout 600]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import load_ask

from simulators.llm import SIMULATED_NOTE
from simulators.slack import RecordedCall
from simulators.slack.tiers import TierEnforcer

POST_PER_CHANNEL_PER_S = 1.0
MAX_RUNS = int(os.environ.get("FLOOR_MAX_RUNS", "8"))
PROFILE = Path(os.environ["FLOOR_PROFILE"]) if os.environ.get("FLOOR_PROFILE") else None


def channel(index: int, channels: int) -> str:
    return f"C0FLOOR{index % channels:03d}"


def command(
    index: int, channels: int, verifier: SignatureVerifier, response_url: str
) -> tuple[str, dict[str, str]]:
    body = urlencode(
        {
            "token": "deprecated",
            "team_id": load_ask.TEAM,
            "team_domain": "bench",
            "channel_id": channel(index, channels),
            "channel_name": f"floor-{index % channels}",
            "user_id": f"U0FLOOR{index:05d}",
            "user_name": f"asker{index}",
            "command": "/ask",
            "text": load_ask.QUESTIONS[index % len(load_ask.QUESTIONS)],
            "api_app_id": "A0SIMAPP",
            "is_enterprise_install": "false",
            "response_url": f"{response_url}/respond/floor{index}",
            "trigger_id": uuid.uuid4().hex,
        }
    )
    return body, {"Content-Type": "application/x-www-form-urlencoded", **load_ask._signed(verifier, body)}


def floor_seconds(n: int, channels: int) -> float:
    per_channel = Counter(channel(i, channels) for i in range(n))
    return max(2 * count for count in per_channel.values()) / POST_PER_CHANNEL_PER_S


def answered(
    upstreams: load_ask.Upstreams, roots: dict[str, str], done: dict[str, tuple[float, str, int]]
) -> dict[str, tuple[float, str, int]]:
    """Per root: when its answer was complete, its rung, and how many bot messages its thread has.

    Runs on the simulators' loop, so it must be quick: one pass over the messages and the calls,
    and only the threads not yet seen complete (``done`` is added to and returned).
    """
    slack = upstreams.slack
    replies: dict[str, list[Any]] = defaultdict(list)
    for message in slack._messages.values():  # a bench may read the table (tests use its calls)
        if message.thread_ts in roots and message.ts != message.thread_ts and message.bot_id:
            replies[message.thread_ts].append(message)
    touching: dict[str, list[RecordedCall]] = defaultdict(list)
    reply_root = {m.ts: root for root, found in replies.items() for m in found}
    for call in slack.calls():
        root = call.args.get("thread_ts") or reply_root.get(str(call.args.get("ts")))
        if call.ok and root in roots:
            touching[root].append(call)
    for root in roots:
        found = replies.get(root, [])
        if root in done or not any(SIMULATED_NOTE in m.text and m.state != "streaming" for m in found):
            continue
        methods = {c.method for c in touching[root]}
        rung = (
            "stream"
            if "chat.startStream" in methods
            else ("post+update" if "chat.update" in methods else "post")
        )
        at = max((c.at for c in touching[root]), default=time.monotonic())
        done[root] = (at, rung, len(found))
    return done


async def run(n: int, channels: int, burst: float, limit_s: float, dump: Path | None = None) -> float:
    """One round; its completion time in seconds (NaN when not every answer was complete)."""
    upstreams = load_ask.Upstreams(chunk_delay=0.0)
    upstreams.slack.tiers = TierEnforcer(burst_minutes=burst)
    await upstreams.start()
    options = load_ask.Options(
        n=n,
        max_runs=MAX_RUNS,
        chunk_delay=0.0,
        repeat=1,
        timeout=limit_s,
        grace=5,
        warm_up=False,
        profile=PROFILE,
    )
    try:
        with tempfile.TemporaryDirectory(prefix="chatops-floor-") as scratch:
            bot = await load_ask.start_bot(upstreams, Path(scratch), options)
            try:
                verifier = SignatureVerifier(load_ask.SIGNING_SECRET)
                requests = [command(i, channels, verifier, upstreams.slack.url) for i in range(n)]
                first_sent, acks = await load_ask.fire(bot.url, requests)
                roots = await _roots(upstreams, channels, n, deadline=time.monotonic() + limit_s)
                deadline = time.monotonic() + limit_s
                done: dict[str, tuple[float, str, int]] = {}
                while time.monotonic() < deadline:
                    done = await upstreams.run(_answered(upstreams, roots, done))
                    if len(done) >= n:
                        break
                    await asyncio.sleep(0.5)
                methods = Counter(c.method for c in upstreams.slack.calls())
                refused = Counter(c.method for c in upstreams.slack.calls() if c.status == 429)
                if dump is not None:
                    _dump(dump, upstreams.slack.calls(), first_sent)
            finally:
                await load_ask.stop_bot(bot, 5)
    finally:
        await upstreams.stop()
    return _report(n, channels, burst, first_sent, acks, roots, done, methods, refused)


async def _answered(
    upstreams: load_ask.Upstreams, roots: dict[str, str], done: dict[str, tuple[float, str, int]]
) -> dict[str, tuple[float, str, int]]:
    return answered(upstreams, roots, done)


async def _roots(upstreams: load_ask.Upstreams, channels: int, n: int, deadline: float) -> dict[str, str]:
    """The parent message of each `/ask` (root ts → channel), once all are posted (or time is up)."""
    roots: dict[str, str] = {}
    while time.monotonic() < deadline:
        roots = await upstreams.run(_parents(upstreams))
        if len(roots) >= n:
            break
        await asyncio.sleep(0.2)
    return roots


async def _parents(upstreams: load_ask.Upstreams) -> dict[str, str]:
    # The simulator keeps every message; a bench may read its table (tests use its public calls).
    return {
        message.ts: message.channel
        for message in upstreams.slack._messages.values()
        if message.thread_ts is None and message.bot_id and "asked:" in message.text
    }


def _dump(path: Path, calls: list[RecordedCall], start: float) -> None:
    with path.open("w") as out:
        for call in calls:
            where = call.args.get("channel") or call.args.get("channel_id")
            line = {"method": call.method, "channel": where, "at": round(call.at - start, 3)}
            line |= {"thread_ts": call.args.get("thread_ts"), "text": str(call.args.get("text") or "")[:30]}
            out.write(json.dumps({**line, "status": call.status, "error": call.error}) + "\n")


def _report(
    n: int,
    channels: int,
    burst: float,
    first_sent: float,
    acks: list[load_ask.Ack],
    roots: dict[str, str],
    done: dict[str, tuple[float, str, int]],
    methods: Counter[str],
    refused: Counter[str],
) -> float:
    floor = floor_seconds(n, channels)
    complete = (
        max((at for at, _, _ in done.values()), default=float("nan")) - first_sent if done else float("nan")
    )
    rungs = Counter(rung for _, rung, _ in done.values())
    messages = [count for _, _, count in done.values()]
    per_answer = sum(messages) / len(messages) if messages else float("nan")
    print(f"{n} questions over {channels} channels (Slack tiers, burst {burst:g} min)")
    print(
        f"  acks: {sum(1 for a in acks if a.status == '200')}/{n} 200, "
        f"p99 {load_ask.percentile([a.ms for a in acks], 99):.0f} ms"
    )
    print(f"  answered complete: {len(done)}/{n} (parents posted: {len(roots)})")
    print(f"  completion: {complete:.1f} s; Slack's floor: {floor:.1f} s; ratio {complete / floor:.2f}")
    print(f"  messages per answer (thread replies): {per_answer:.2f}; rungs: {dict(rungs)}")
    print(f"  refused by Slack's tiers (429): {sum(refused.values())} {dict(refused)}")
    print("  calls: " + ", ".join(f"{m} {c}" for m, c in methods.most_common()))
    return complete if len(done) == n else float("nan")


async def rounds(options: argparse.Namespace) -> None:
    """``--repeat`` rounds, each against fresh simulators and a fresh bot, then their median."""
    completions = [
        await run(options.n, options.channels, options.burst, options.timeout, options.dump)
        for _ in range(options.repeat)
    ]
    if options.repeat > 1:
        floor = floor_seconds(options.n, options.channels)
        middle = statistics.median(completions)
        print(
            f"median of {options.repeat} rounds: completion {middle:.1f} s, floor {floor:.1f} s, "
            f"ratio {middle / floor:.2f} (rounds: {', '.join(f'{c:.1f}' for c in completions)})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--channels", type=int, default=20)
    parser.add_argument("--burst", type=float, default=0.05, help="minutes of burst Slack tolerates")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--dump", type=Path, help="write every Slack call (JSON lines) here, to study")
    parser.add_argument("--repeat", type=int, default=1, help="rounds; the median is reported")
    options = parser.parse_args()
    asyncio.run(rounds(options))


if __name__ == "__main__":
    main()
