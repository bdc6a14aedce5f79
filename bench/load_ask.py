"""Load benchmark for `/ask`: N concurrent signed slash commands against the real `chatops serve`.

Not a test: it asserts nothing and prints figures. The SIMULATED Slack, Jira, GitHub and LLM
servers run in this process on 127.0.0.1, on their own event loop in a background thread, so
the client's ack timings are not skewed by the simulators' work on the same loop. The bot runs
as a subprocess exactly as deployed (`python -m bot serve`), configured by environment only.

Usage: .venv/bin/python bench/load_ask.py --n 200 [--max-runs 8] [--chunk-delay 0.01] [--repeat 3]
       [--warm-up] [--timeout 300] [--grace 20] [--profile-serve FILE]
Exit status 0 when every round answered all N questions and serve exited 0 on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import socket
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

from bot.config import Settings
from simulators.github import GitHubSimulator
from simulators.jira import JiraSimulator
from simulators.llm import SIMULATED_NOTE, LLMSimulator
from simulators.slack import RecordedCall, SlackSimulator

SIGNING_SECRET = "bench-signing-secret"
BOT_TOKEN = "xoxb-bench-simulated-token"
TEAM = "T0BENCH"
BOT_USER = "U0BENCHBOT"
QUESTIONS = (
    "why is OPS-2 blocked?",
    "what is the state of OPS-4 and acme/payments#42?",
    "is acme/payments#40 ready to merge, and how does it relate to OPS-1?",
    "why is OPS-2 blocked and is acme/payments#42 green?",
    "summarise OPS-3 and acme/payments#38",
)
# Signs of a terminal failure in the thread (see bot/slack/delivery/sink.py and bot/slack/app.py).
WARNING_MARK = ":warning:"
REFUSED_MARK = ":information_source:"
NO_ANSWER_MARK = "_No answer was produced._"
SLACK_ACK_BUDGET_MS = 3000.0
STREAM_METHODS = ("chat.postMessage", "chat.startStream", "chat.appendStream", "chat.stopStream")
DEFAULT_MAX_RUNS: int = Settings.model_fields["max_concurrent_runs"].default
DEFAULT_GRACE: float = Settings.model_fields["shutdown_grace_seconds"].default

T = TypeVar("T")
Outcome = Literal["completed", "failed"]


@dataclass(frozen=True)
class Options:
    n: int
    max_runs: int
    chunk_delay: float
    repeat: int
    timeout: float
    grace: float
    warm_up: bool
    profile: Path | None


@dataclass(frozen=True)
class Ack:
    status: str  # the HTTP status, or the client-side exception's name
    ms: float


@dataclass(frozen=True)
class Terminal:
    """How and when (monotonic clock of this process) one thread's answer ended."""

    outcome: Outcome
    at: float
    how: str


@dataclass
class Figures:
    """Everything measured in one round."""

    n: int
    max_runs: int
    warm_up: bool
    acks: list[Ack]
    terminals: dict[str, Terminal]
    all_done_s: float | None
    slack_methods: Counter[str]
    slack_429: int
    slack_errors: Counter[str]
    upstream_requests: dict[str, int]
    db_runs: Counter[str]
    db_errors: Counter[str]
    exit_code: int | None
    exit_s: float
    serve_cpu_s: float
    bench_cpu_s: float
    log_findings: Counter[str]
    log_samples: list[str] = field(default_factory=list)

    @property
    def completed(self) -> int:
        return sum(1 for t in self.terminals.values() if t.outcome == "completed")

    @property
    def failed(self) -> int:
        return sum(1 for t in self.terminals.values() if t.outcome == "failed")

    def ack_ms(self, q: float) -> float:
        return percentile([a.ms for a in self.acks], q)

    @property
    def answers_per_s(self) -> float:
        return self.completed / self.all_done_s if self.all_done_s else 0.0

    def numbers(self) -> dict[str, float]:
        """The figures that are medianed across repeats."""
        return {
            "ack p50 (ms)": self.ack_ms(50),
            "ack p90 (ms)": self.ack_ms(90),
            "ack p99 (ms)": self.ack_ms(99),
            "ack max (ms)": self.ack_ms(100),
            f"acks over {SLACK_ACK_BUDGET_MS:g} ms": sum(1 for a in self.acks if a.ms > SLACK_ACK_BUDGET_MS),
            "answers completed": self.completed,
            "answers failed": self.failed,
            "answers missing": self.n - len(self.terminals),
            "time until every answer complete (s)": self.all_done_s if self.all_done_s else float("nan"),
            "answers per second": self.answers_per_s,
            # One is serve's own start-up check; more means Bolt's cold cache let the burst stampede.
            "slack auth.test calls": self.slack_methods.get("auth.test", 0),
            "shutdown exit time (s)": self.exit_s,
            "serve process CPU (s)": self.serve_cpu_s,
            "bench + simulators CPU (s)": self.bench_cpu_s,
        }


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile; q=100 is the maximum."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil(n*q/100), at least 1
    return ordered[min(len(ordered), int(rank)) - 1]


# -- the simulated upstreams, on their own loop ----------------------------------------------


class Upstreams:
    """The four SIMULATED servers, served from a background thread's event loop."""

    def __init__(self, chunk_delay: float) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="simulators", daemon=True)
        self.slack = SlackSimulator(token=BOT_TOKEN, team_id=TEAM, bot_user_id=BOT_USER)
        self.jira = JiraSimulator()
        self.github = GitHubSimulator()
        # asyncio primitives bind to a loop on first use (3.10+), so building these here is safe.
        self.llm = LLMSimulator(chunk_delay=chunk_delay)

    async def start(self) -> None:
        self._thread.start()
        await self.run(self._start())

    async def _start(self) -> None:
        await self.slack.__aenter__()
        await self.jira.__aenter__()
        await self.github.__aenter__()
        await self.llm.start()

    async def stop(self) -> None:
        await self.run(self._stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        await asyncio.to_thread(self._thread.join, 10)
        if not self._thread.is_alive():
            self._loop.close()

    async def _stop(self) -> None:
        await self.llm.stop()
        await self.github.__aexit__(None, None, None)
        await self.jira.__aexit__(None, None, None)
        await self.slack.__aexit__(None, None, None)

    async def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run `coroutine` on the simulators' loop and wait (bounded) for it here."""
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return await asyncio.wait_for(asyncio.wrap_future(future), 30.0)

    def env(self) -> dict[str, str]:
        return {
            "SLACK_API_URL": self.slack.api_url,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "JIRA_BASE_URL": self.jira.url,
            "JIRA_EMAIL": "bench@acme.test",
            "JIRA_API_TOKEN": "jira-bench-token",
            "GITHUB_API_URL": self.github.url,
            "GITHUB_TOKEN": "ghp_benchtoken",
            "LLM_PROVIDER": "openai",
            "LLM_BASE_URL": self.llm.base_url,
            "LLM_API_KEY": "sk-bench-key",
            "LLM_MODEL": "simulated-model",
        }


class AnswerWatch:
    """Reads the Slack simulator's call log (on its loop) and notes when each thread's answer ended."""

    def __init__(self, slack: SlackSimulator) -> None:
        self._slack = slack
        self._seen = 0
        self.terminals: dict[str, Terminal] = {}

    async def scan(self) -> None:
        calls = self._slack.calls()
        for call in calls[self._seen :]:
            channel = str(call.args.get("channel") or call.args.get("channel_id") or "")
            if channel and channel not in self.terminals:
                terminal = self._terminal(call, channel)
                if terminal is not None:
                    self.terminals[channel] = terminal
        self._seen = len(calls)

    def _terminal(self, call: RecordedCall, channel: str) -> Terminal | None:
        if not call.ok:
            return None
        if call.method == "chat.stopStream":
            text = self._text(channel, call.args.get("ts"))
            return Terminal(_classify(text), call.at, "stopStream")
        if call.method == "chat.update":
            text = self._text(channel, call.args.get("ts"))
            finished = any(mark in text for mark in (SIMULATED_NOTE, WARNING_MARK, NO_ANSWER_MARK))
            return Terminal(_classify(text), call.at, "update (fallback)") if finished else None
        if call.method == "chat.postMessage" and str(call.args.get("text", "")).startswith(REFUSED_MARK):
            return Terminal("failed", call.at, "refused in thread")
        if call.method == "chat.postMessage":
            # Under a tight chat.update budget an answer is posted once, whole (bot/slack/delivery/sink.py).
            # markdown_text, or (with the feedback buttons under it) a markdown block and its fallback text
            text = str(call.args.get("markdown_text") or call.args.get("text") or "")
            finished = any(mark in text for mark in (SIMULATED_NOTE, WARNING_MARK, NO_ANSWER_MARK))
            return Terminal(_classify(text), call.at, "post (whole)") if finished else None
        return None

    def _text(self, channel: str, ts: object) -> str:
        message = self._slack.message(channel, str(ts))
        return str(message.get("text", "")) if message else ""


def _classify(text: str) -> Outcome:
    return "failed" if WARNING_MARK in text or NO_ANSWER_MARK in text else "completed"


async def _response_url_failures(slack: SlackSimulator) -> dict[str, float]:
    # A /ask whose parent message could not be posted is answered through response_url.
    return {str(c.args.get("response_url_token", "")): c.at for c in slack.calls("response_url")}


async def _slack_summary(slack: SlackSimulator) -> tuple[Counter[str], int, Counter[str]]:
    calls = slack.calls()
    methods = Counter(call.method for call in calls)
    rate_limited = sum(1 for call in calls if call.status == 429)
    errors = Counter(f"{call.method}:{call.error}" for call in calls if call.error)
    return methods, rate_limited, errors


async def _upstream_counts(upstreams: Upstreams) -> dict[str, int]:
    return {
        "llm": len(upstreams.llm.requests),
        "jira": len(upstreams.jira.requests),
        "github": len(upstreams.github.requests),
    }


# -- the bot process ---------------------------------------------------------------------------


@dataclass
class BotProcess:
    process: asyncio.subprocess.Process
    url: str
    log_path: Path
    database: Path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _bot_env(upstreams: Upstreams, port: int, database: Path, options: Options) -> dict[str, str]:
    # Start from a clean slate: any of the app's own variables in this shell must not leak in.
    ours = {name.upper() for name in Settings.model_fields}
    env = {key: value for key, value in os.environ.items() if key.upper() not in ours}
    env.update(upstreams.env())
    env.update(
        {
            "DATABASE_URL": f"sqlite:///{database}",
            "PORT": str(port),
            "LOG_LEVEL": "WARNING",
            "MAX_CONCURRENT_RUNS": str(options.max_runs),
            "SHUTDOWN_GRACE_SECONDS": f"{options.grace:g}",
        }
    )
    return env


async def start_bot(upstreams: Upstreams, workdir: Path, options: Options) -> BotProcess:
    port = _free_port()
    database = workdir / "bench.db"
    log_path = workdir / "serve.log"
    with log_path.open("wb") as log_file:
        # cwd is the scratch dir, so a developer's .env in the repo is not read.
        profiler = ["-m", "cProfile", "-o", str(options.profile)] if options.profile else []
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            *profiler,
            "-m",
            "bot",
            "serve",
            env=_bot_env(upstreams, port, database, options),
            cwd=workdir,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log_file,
            stderr=log_file,
        )
    bot = BotProcess(process, f"http://127.0.0.1:{port}", log_path, database)
    try:
        await _wait_healthy(bot, deadline_s=30.0)
    except BaseException:
        await _kill(process)
        raise
    return bot


async def _wait_healthy(bot: BotProcess, deadline_s: float) -> None:
    timeout = aiohttp.ClientTimeout(total=2)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        for _ in range(int(deadline_s / 0.05)):
            if bot.process.returncode is not None:
                raise RuntimeError(f"chatops serve exited early:\n{bot.log_path.read_text()[-4000:]}")
            try:
                async with session.get(f"{bot.url}/healthz") as response:
                    if response.status == 200:
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.05)
    tail = bot.log_path.read_text()[-4000:]
    raise RuntimeError(f"chatops serve not healthy within {deadline_s:g}s:\n{tail}")


async def stop_bot(bot: BotProcess, grace: float) -> tuple[int | None, float]:
    """SIGTERM, then wait a little over the app's grace period. Returns (exit code, seconds)."""
    started = time.monotonic()
    bot.process.send_signal(signal.SIGTERM)
    try:
        code: int | None = await asyncio.wait_for(bot.process.wait(), grace + 10.0)
    except TimeoutError:
        code = None  # did not exit in time: reported as such, then killed
        await _kill(bot.process)
    return code, time.monotonic() - started


async def _kill(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.kill()
        await asyncio.wait_for(process.wait(), 10.0)


# -- the load ----------------------------------------------------------------------------------


def command(index: int, verifier: SignatureVerifier, response_url: str) -> tuple[str, dict[str, str]]:
    """One signed `/ask` slash command, as Slack sends it, from a distinct user in a distinct channel."""
    body = urlencode(
        {
            "token": "deprecated",
            "team_id": TEAM,
            "team_domain": "bench",
            "channel_id": channel_of(index),
            "channel_name": f"bench-{index}",
            "user_id": f"U0BENCH{index:05d}",
            "user_name": f"bencher{index}",
            "command": "/ask",
            "text": QUESTIONS[index % len(QUESTIONS)],
            "api_app_id": "A0SIMAPP",
            "is_enterprise_install": "false",
            "response_url": f"{response_url}/respond/{channel_of(index)}",
            "trigger_id": uuid.uuid4().hex,
        }
    )
    return body, {"Content-Type": "application/x-www-form-urlencoded", **_signed(verifier, body)}


def ignored_event(verifier: SignatureVerifier) -> tuple[str, dict[str, str]]:
    """A signed top-level channel message: Bolt authorises it (caching auth.test); the bot ignores it."""
    event = {"type": "message", "user": "U0BENCHWARM", "text": "warming up", "channel": "C0BENCHWARM"}
    envelope = {
        "token": "deprecated",
        "team_id": TEAM,
        "api_app_id": "A0SIMAPP",
        "event": {**event, "team": TEAM, "ts": f"{time.time():.6f}", "channel_type": "channel"},
        "type": "event_callback",
        "event_id": f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
    }
    body = json.dumps(envelope)
    return body, {"Content-Type": "application/json", **_signed(verifier, body)}


def _signed(verifier: SignatureVerifier, body: str) -> dict[str, str]:
    timestamp = str(int(time.time()))
    signature = verifier.generate_signature(timestamp=timestamp, body=body)
    assert signature is not None
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature}


def channel_of(index: int) -> str:
    return f"C0BENCH{index:05d}"


async def fire(url: str, requests: Sequence[tuple[str, dict[str, str]]]) -> tuple[float, list[Ack]]:
    """Send every request at once; returns when the first was sent (monotonic) and each one's ack."""
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def post(body: str, headers: dict[str, str]) -> Ack:
            started = time.perf_counter()
            try:
                async with session.post(f"{url}/slack/events", data=body, headers=headers) as response:
                    await response.read()
                    status = str(response.status)
            except (aiohttp.ClientError, TimeoutError) as error:
                status = type(error).__name__
            return Ack(status, (time.perf_counter() - started) * 1000)

        first_sent = time.monotonic()
        acks = await asyncio.gather(*(post(body, headers) for body, headers in requests))
    return first_sent, list(acks)


async def wait_for_answers(upstreams: Upstreams, n: int, limit_s: float) -> dict[str, Terminal]:
    watch = AnswerWatch(upstreams.slack)
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        await upstreams.run(watch.scan())
        if len(watch.terminals) >= n:
            break
        await asyncio.sleep(0.1)
    terminals = dict(watch.terminals)
    for channel, at in (await upstreams.run(_response_url_failures(upstreams.slack))).items():
        terminals.setdefault(channel, Terminal("failed", at, "response_url"))
    return terminals


# -- evidence from the database and the log ----------------------------------------------------


def db_runs(database: Path) -> tuple[Counter[str], Counter[str]]:
    """Run statuses and error messages, read after the bot has exited."""
    if not database.exists():
        return Counter(), Counter()
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as connection:
        rows = connection.execute("SELECT status, error FROM runs").fetchall()
    statuses = Counter(str(status) for status, _ in rows)
    errors = Counter(str(error) for _, error in rows if error)
    return statuses, errors


LOG_SIGNS = ("Traceback", "ERROR", "CRITICAL", "database is locked", "StoreBusy", "WARNING")


def scan_log(path: Path) -> tuple[Counter[str], list[str]]:
    findings: Counter[str] = Counter()
    samples: list[str] = []
    for line in path.read_text(errors="replace").splitlines():
        hits = [sign for sign in LOG_SIGNS if sign in line]
        findings.update(hits)
        if hits and line not in samples and len(samples) < 8:
            samples.append(line[:300])
    return findings, samples


# -- one round ---------------------------------------------------------------------------------


async def round_(options: Options) -> Figures:
    upstreams = Upstreams(options.chunk_delay)
    await upstreams.start()
    try:
        with tempfile.TemporaryDirectory(prefix="chatops-bench-") as scratch:
            return await _measure(upstreams, Path(scratch), options)
    finally:
        await upstreams.stop()


def _cpu_s(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


async def _measure(upstreams: Upstreams, workdir: Path, options: Options) -> Figures:
    # Children's CPU is counted once they are reaped, so the serve figure is read after it exits.
    children_before, self_before = _cpu_s(resource.RUSAGE_CHILDREN), _cpu_s(resource.RUSAGE_SELF)
    bot = await start_bot(upstreams, workdir, options)
    try:
        verifier = SignatureVerifier(SIGNING_SECRET)
        if options.warm_up:
            (warm,) = (await fire(bot.url, [ignored_event(verifier)]))[1]
            if warm.status != "200":
                raise RuntimeError(f"the warm-up request was answered {warm.status}")
        requests = [command(i, verifier, upstreams.slack.url) for i in range(options.n)]
        first_sent, acks = await fire(bot.url, requests)
        terminals = await wait_for_answers(upstreams, options.n, options.timeout)
    finally:
        exit_code, exit_s = await stop_bot(bot, options.grace)
    serve_cpu = _cpu_s(resource.RUSAGE_CHILDREN) - children_before
    bench_cpu = _cpu_s(resource.RUSAGE_SELF) - self_before
    last = max((t.at for t in terminals.values()), default=None)
    all_done = last - first_sent if last is not None else None  # to the last one that ended
    methods, rate_limited, slack_errors = await upstreams.run(_slack_summary(upstreams.slack))
    statuses, errors = db_runs(bot.database)
    findings, samples = scan_log(bot.log_path)
    return Figures(
        n=options.n,
        max_runs=options.max_runs,
        warm_up=options.warm_up,
        acks=acks,
        terminals=terminals,
        all_done_s=all_done,
        slack_methods=methods,
        slack_429=rate_limited,
        slack_errors=slack_errors,
        upstream_requests=await upstreams.run(_upstream_counts(upstreams)),
        db_runs=statuses,
        db_errors=errors,
        exit_code=exit_code,
        exit_s=exit_s,
        serve_cpu_s=serve_cpu,
        bench_cpu_s=bench_cpu,
        log_findings=findings,
        log_samples=samples,
    )


# -- report ------------------------------------------------------------------------------------


def report(index: int, figures: Figures) -> None:
    print(
        f"\n=== round {index}: N={figures.n}, max concurrent runs={figures.max_runs}, "
        f"warm-up={'yes' if figures.warm_up else 'no'} ==="
    )
    for name, value in figures.numbers().items():
        print(f"  {name:<40} {_number(value)}")
    statuses = Counter(ack.status for ack in figures.acks)
    print(f"  {'HTTP status counts':<40} {dict(sorted(statuses.items()))}")
    how = Counter(t.how for t in figures.terminals.values())
    print(f"  {'answers ended by':<40} {dict(how)}")
    print(f"  {'slack calls per method':<40} " + _methods(figures.slack_methods))
    print(f"  {'slack 429s':<40} {figures.slack_429}")
    print(f"  {'slack ok:false errors':<40} {dict(figures.slack_errors) or 'none'}")
    print(f"  {'upstream requests':<40} {figures.upstream_requests}")
    print(f"  {'runs in the database (after exit)':<40} {dict(figures.db_runs)}")
    if figures.db_errors:
        print(f"  {'run errors in the database':<40} {dict(figures.db_errors.most_common(5))}")
    if figures.exit_code is None:
        print(f"  {'serve exit code after SIGTERM':<40} none, killed after {figures.exit_s:.2f} s")
    else:
        print(f"  {'serve exit code after SIGTERM':<40} {figures.exit_code} in {figures.exit_s:.2f} s")
    print(f"  {'serve log findings':<40} {dict(figures.log_findings) or 'none'}")
    for line in figures.log_samples:
        print(f"    | {line}")
    missing = sorted(set(channel_of(i) for i in range(figures.n)) - set(figures.terminals))
    if missing:
        print(f"  {'threads with no terminal answer':<40} {len(missing)} e.g. {missing[:5]}")


def _number(value: float) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"


def _methods(methods: Counter[str]) -> str:
    main = {method.removeprefix("chat."): methods.get(method, 0) for method in STREAM_METHODS}
    others = {m: c for m, c in sorted(methods.items()) if m not in STREAM_METHODS}
    return f"{main} others={others}"


def report_medians(rounds: Sequence[Figures]) -> None:
    first = rounds[0]
    print(
        f"\n=== median of {len(rounds)} rounds (N={first.n}, max concurrent runs={first.max_runs}, "
        f"warm-up={'yes' if first.warm_up else 'no'}) ==="
    )
    names = list(rounds[0].numbers())
    for name in names:
        values = [figures.numbers()[name] for figures in rounds]
        each = ", ".join(_number(value) for value in values)
        median = statistics.median(values)
        if all(isinstance(value, int) for value in values) and float(median).is_integer():
            median = int(median)  # a count stays a count
        print(f"  {name:<40} {_number(median):>10}   [{each}]")
    exits = [figures.exit_code for figures in rounds]
    print(f"  {'serve exit codes after SIGTERM':<40} {exits}")


# -- entry point -------------------------------------------------------------------------------


def parse(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=200, help="concurrent /ask requests (default 200)")
    parser.add_argument(
        "--max-runs",
        type=int,
        default=DEFAULT_MAX_RUNS,
        help=f"MAX_CONCURRENT_RUNS for the bot (default: the app's, {DEFAULT_MAX_RUNS})",
    )
    parser.add_argument(
        "--chunk-delay", type=float, default=0.01, help="LLM simulator pause between stream chunks (s)"
    )
    parser.add_argument("--repeat", type=int, default=1, help="rounds to run; medians are printed")
    parser.add_argument(
        "--timeout", type=float, default=300.0, help="give up waiting for answers after this (s)"
    )
    parser.add_argument(
        "--grace", type=float, default=DEFAULT_GRACE, help="SHUTDOWN_GRACE_SECONDS for the bot"
    )
    parser.add_argument(
        "--warm-up",
        action="store_true",
        help="send one ignored event first, so Bolt's auth.test cache is filled before the burst",
    )
    parser.add_argument(
        "--profile-serve",
        type=Path,
        metavar="FILE",
        help="run serve under cProfile and write its stats to FILE (the last round's)",
    )
    args = parser.parse_args(argv)
    if args.n < 1 or args.repeat < 1 or args.max_runs < 1:
        parser.error("--n, --repeat and --max-runs must be at least 1")
    return Options(
        args.n,
        args.max_runs,
        args.chunk_delay,
        args.repeat,
        args.timeout,
        args.grace,
        args.warm_up,
        args.profile_serve.resolve() if args.profile_serve else None,
    )


async def main_async(options: Options) -> list[Figures]:
    rounds: list[Figures] = []
    for index in range(1, options.repeat + 1):
        figures = await round_(options)
        report(index, figures)
        rounds.append(figures)
    if len(rounds) > 1:
        report_medians(rounds)
    return rounds


def main(argv: Sequence[str] | None = None) -> int:
    options = parse(argv)
    rounds = asyncio.run(main_async(options))
    clean = all(f.completed == f.n and f.exit_code == 0 for f in rounds)
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
