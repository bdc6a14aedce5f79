"""Burst benchmark for the Slack delivery layer: many answers at once against a tier-enforcing fake Slack.

Not a test: it prints figures. A SIMULATED Slack that enforces Slack's documented rate tiers
(token buckets per method per workspace, 429 + Retry-After beyond them; simulators/slack/tiers.py)
runs on its own event loop in a background thread. In the main loop, one real slack_sdk client
with the bot's budget (bot/slack/delivery/budget.py) serves a ``SlackThreadSink`` per question, fed by a
scripted LLM: a status, one tool step, a think pause, then the answer in small deltas. So the
figures are the delivery layer's own: no agent, no Jira/GitHub, no HTTP ingress.

Usage: .venv/bin/python bench/slack_burst.py [--questions 100] [--channels 20] [--window 2]
       [--burst-minutes 1.0] [--answer-chars 1500] [--tokens-per-s 40] [--repeat 3] [--seed 1]
``--burst-minutes`` is how much of a minute's allowance the fake Slack lets through at once
(Slack does not document it); below our own bursts (bot/slack/delivery/tiers.py) it produces 429s.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.events import Finished, StatusChanged, TextDelta, ToolFinished, ToolStarted
from bot.slack.delivery.budget import SlackBudget
from bot.slack.delivery.client import build_web_client
from bot.slack.delivery.reply import PLACEHOLDER
from bot.slack.delivery.sink import SlackThreadSink
from bot.text.render import escape
from simulators.slack import RecordedCall, SlackSimulator, TierEnforcer

TOKEN = "xoxb-burst-simulated"
TEAM = "T0BURST"
USER = "U0ASKER"
T = TypeVar("T")
WORDS = ("deploy", "payments", "OPS-2", "blocked", "review", "pipeline", "green", "merge", "the", "is", "and")


@dataclass(frozen=True)
class Options:
    questions: int
    channels: int
    window: float
    burst_minutes: float
    answer_chars: int
    tokens_per_s: float
    repeat: int
    seed: int


@dataclass
class Question:
    index: int
    channel: str
    root: str
    answer: str
    asked_at: float = 0.0
    first_token_at: float = 0.0
    done_at: float = 0.0


@dataclass
class Figures:
    complete: int
    n: int
    status_429: Counter[str]
    calls: Counter[str]
    counters: dict[str, int]
    first_text_ms: list[float]
    sign_of_life_ms: list[float]
    last_answer_s: float
    rungs: Counter[str] = field(default_factory=Counter)

    def numbers(self) -> dict[str, float]:
        return {
            "answers complete": self.complete,
            "429s received": sum(self.status_429.values()),
            "Slack calls per answer": sum(self.calls.values()) / self.n,
            "first token -> first visible text p50 (ms)": percentile(self.first_text_ms, 50),
            "first token -> first visible text p99 (ms)": percentile(self.first_text_ms, 99),
            "question -> sign of life p50 (ms)": percentile(self.sign_of_life_ms, 50),
            "question -> sign of life p99 (ms)": percentile(self.sign_of_life_ms, 99),
            "time to last answer (s)": self.last_answer_s,
        }


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[min(len(ordered), int(rank)) - 1]


class FakeSlack:
    """The tier-enforcing SIMULATED Slack on a background thread's loop."""

    def __init__(self, burst_minutes: float) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fake-slack", daemon=True)
        self.tiers = TierEnforcer(burst_minutes=burst_minutes)
        self.slack = SlackSimulator(token=TOKEN, team_id=TEAM, tiers=self.tiers)

    async def start(self) -> None:
        self._thread.start()
        await self.run(self.slack.__aenter__())

    async def stop(self) -> None:
        await self.run(self.slack.__aexit__(None, None, None))
        self._loop.call_soon_threadsafe(self._loop.stop)
        await asyncio.to_thread(self._thread.join, 10)

    async def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return await asyncio.wait_for(asyncio.wrap_future(future), 30.0)


def make_answer(rng: random.Random, index: int, chars: int) -> str:
    words = [f"Answer {index}:"]
    while sum(len(word) + 1 for word in words) < chars:
        words.append(rng.choice(WORDS))
        if rng.random() < 0.03:
            words.append("\n\n")
    return " ".join(words)


def tokens(text: str, rng: random.Random) -> list[str]:
    pieces, position = [], 0
    while position < len(text):
        step = rng.randint(2, 6)
        pieces.append(text[position : position + step])
        position += step
    return pieces


async def ask(question: Question, client: Any, budget: SlackBudget, options: Options, start: float) -> None:
    rng = random.Random(options.seed * 1_000 + question.index)
    await asyncio.sleep(
        max(0.0, start + question.index * options.window / options.questions - time.monotonic())
    )
    question.asked_at = time.monotonic()
    sink = SlackThreadSink(
        client,
        channel=question.channel,
        thread_ts=question.root,
        recipient_user_id=USER,
        recipient_team_id=TEAM,
        team_id=TEAM,
        budget=budget,
    )
    await sink.emit(StatusChanged("thinking"))
    await asyncio.sleep(rng.uniform(0.2, 0.6))  # the LLM decides to call a tool
    await sink.emit(ToolStarted(f"call-{question.index}", "jira_get_issue", "Jira: get OPS-2"))
    await asyncio.sleep(rng.uniform(0.2, 0.5))
    await sink.emit(ToolFinished(f"call-{question.index}", "jira_get_issue", True, "OPS-2: Blocked"))
    await asyncio.sleep(rng.uniform(0.3, 0.8))  # time to the answer's first token
    pieces = tokens(question.answer, rng)
    question.first_token_at = time.monotonic()
    for piece in pieces:
        await sink.emit(TextDelta(piece))
        await asyncio.sleep(1.0 / options.tokens_per_s)
    await sink.emit(Finished(question.answer))
    question.done_at = time.monotonic()


def shown_text(call: RecordedCall) -> str:
    if call.method in ("chat.postMessage", "chat.update"):
        text = str(call.args.get("markdown_text") or call.args.get("text") or "")
        return "" if text == PLACEHOLDER else text
    chunks = call.args.get("chunks") or []
    return "".join(str(chunk.get("text", "")) for chunk in chunks if chunk.get("type") == "markdown_text")


async def observe(slack: SlackSimulator, questions: list[Question]) -> dict[str, Any]:
    """Runs on the fake Slack's loop: what each thread shows, and when text first appeared."""
    roots = {(q.channel, q.root): q.index for q in questions}
    first_text: dict[int, float] = {}
    first_sign: dict[int, float] = {}
    for call in slack.calls():
        if not call.ok:
            continue
        channel = str(call.args.get("channel") or call.args.get("channel_id") or "")
        thread = call.args.get("thread_ts")
        if thread is None and call.args.get("ts"):
            message = slack.message(channel, str(call.args["ts"]))
            thread = message["thread_ts"] if message else None
        index = roots.get((channel, str(thread)))
        if index is None:
            continue
        first_sign.setdefault(index, call.at)
        if shown_text(call):
            first_text.setdefault(index, call.at)
    texts = {
        q.index: "".join(m["text"] for m in slack.thread(q.channel, q.root) if m["bot_id"]) for q in questions
    }
    calls = slack.calls()
    return {
        "texts": texts,
        "first_text": first_text,
        "first_sign": first_sign,
        "calls": Counter(call.method for call in calls),
        "status_429": Counter(call.method for call in calls if call.status == 429),
        "last_call": max((call.at for call in calls), default=0.0),
    }


async def round_(options: Options) -> Figures:
    fake = FakeSlack(options.burst_minutes)
    await fake.start()
    try:
        rng = random.Random(options.seed)
        questions = []
        for index in range(options.questions):
            channel = f"C0BURST{index % options.channels:03d}"
            root = fake.slack.post_user_message(channel, f"question {index}", user=USER)
            questions.append(Question(index, channel, root, make_answer(rng, index, options.answer_chars)))
        budget = SlackBudget(default_team=TEAM)
        async with aiohttp.ClientSession() as session:
            client = build_web_client(TOKEN, fake.slack.api_url, session=session, budget=budget)
            start = time.monotonic() + 0.05
            await asyncio.gather(*(ask(q, client, budget, options, start) for q in questions))
        seen = await fake.run(observe(fake.slack, questions))
    finally:
        await fake.stop()
    complete = sum(1 for q in questions if seen["texts"][q.index] == escape(q.answer))
    first_text = [
        (seen["first_text"][q.index] - q.first_token_at) * 1000
        for q in questions
        if q.index in seen["first_text"]
    ]
    sign = [
        (seen["first_sign"][q.index] - q.asked_at) * 1000 for q in questions if q.index in seen["first_sign"]
    ]
    first_asked = min(q.asked_at for q in questions)
    return Figures(
        complete=complete,
        n=options.questions,
        status_429=seen["status_429"],
        calls=seen["calls"],
        counters=budget.counters.snapshot(),
        first_text_ms=first_text,
        sign_of_life_ms=sign,
        last_answer_s=max(q.done_at for q in questions) - first_asked,
    )


def report(index: int, figures: Figures, options: Options) -> None:
    print(
        f"\n=== round {index}: {options.questions} questions in {options.channels} channels within "
        f"{options.window:g} s; fake Slack bursts = {options.burst_minutes:g} min of allowance ==="
    )
    for name, value in figures.numbers().items():
        print(f"  {name:<45} {value:,.1f}")
    print(f"  {'Slack calls by method':<45} {dict(sorted(figures.calls.items()))}")
    print(f"  {'429s by method':<45} {dict(figures.status_429) or 'none'}")
    print(f"  {'delivery counters':<45} {dict(sorted(figures.counters.items()))}")


def report_medians(rounds: Sequence[Figures]) -> None:
    print(f"\n=== median of {len(rounds)} rounds ===")
    for name in rounds[0].numbers():
        values = [figures.numbers()[name] for figures in rounds]
        each = ", ".join(f"{value:,.1f}" for value in values)
        print(f"  {name:<45} {statistics.median(values):>10,.1f}   [{each}]")


def parse(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--channels", type=int, default=20)
    parser.add_argument("--window", type=float, default=2.0, help="seconds over which the questions arrive")
    parser.add_argument("--burst-minutes", type=float, default=1.0, help="fake Slack's burst, in minutes")
    parser.add_argument("--answer-chars", type=int, default=1_500)
    parser.add_argument("--tokens-per-s", type=float, default=40.0, help="the scripted LLM's speed")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    return Options(
        args.questions,
        args.channels,
        args.window,
        args.burst_minutes,
        args.answer_chars,
        args.tokens_per_s,
        args.repeat,
        args.seed,
    )


async def main_async(options: Options) -> list[Figures]:
    rounds = []
    for index in range(1, options.repeat + 1):
        figures = await round_(options)
        report(index, figures, options)
        rounds.append(figures)
    if len(rounds) > 1:
        report_medians(rounds)
    return rounds


def main(argv: Sequence[str] | None = None) -> int:
    options = parse(argv)
    rounds = asyncio.run(main_async(options))
    return 0 if all(figures.complete == figures.n for figures in rounds) else 1


if __name__ == "__main__":
    sys.exit(main())
