"""The harness for the DBOS assumption tests: real worker processes (``workers/probe.py``) on one
system database, the journal they append to, and the files that open their gates."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROBE = Path(__file__).parent / "workers" / "probe.py"
Record = dict[str, Any]


@dataclass
class Worker:
    who: str
    executor: str
    process: subprocess.Popen[bytes]
    stderr: Path
    killed: bool = False

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill(self) -> None:
        """kill -9: no shutdown hook, no final write."""
        self.killed = True
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def crashed(self) -> bool:
        code = self.process.poll()
        return code not in (None, 0) and not self.killed


@dataclass
class Probe:
    directory: Path
    url: str
    workers: list[Worker] = field(default_factory=list)

    @property
    def sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @property
    def journal_path(self) -> Path:
        return self.directory / "journal.jsonl"

    def spawn(
        self, who: str, executor: str, plan: list[Record] | None = None, *, exit_after: bool = False
    ) -> Worker:
        env = {**os.environ, "PROBE_DIR": str(self.directory), "PROBE_WHO": who, "PYTHONUNBUFFERED": "1"}
        env.pop("DBOS__VMID", None)
        env.pop("DBOS__APPVERSION", None)
        argv = [sys.executable, str(PROBE), "--url", self.url, "--executor", executor]
        argv += ["--plan", json.dumps(plan or [])]
        if exit_after:
            argv.append("--exit")
        stderr = self.directory / f"{who}-{len(self.workers)}.stderr"
        with stderr.open("wb") as sink:
            process = subprocess.Popen(argv, env=env, stdout=sink, stderr=subprocess.STDOUT)
        worker = Worker(who, executor, process, stderr)
        self.workers.append(worker)
        return worker

    def records(self, ev: str | None = None, **match: Any) -> list[Record]:
        try:
            lines = self.journal_path.read_text().splitlines()
        except FileNotFoundError:
            return []
        found = []
        for line in lines:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line still being written
            if ev is not None and record["ev"] != ev:
                continue
            if all(record.get(key) == value for key, value in match.items()):
                found.append(record)
        return found

    def wait(self, ev: str, count: int = 1, timeout: float = 20.0, **match: Any) -> list[Record]:
        """The first ``count`` matching records, once they are there; fails fast if a worker crashes."""
        return self.wait_until(lambda: self.records(ev, **match), count, timeout, f"{ev} {match}")

    def wait_until(
        self, query: Callable[[], list[Record]], count: int, timeout: float, what: str
    ) -> list[Record]:
        deadline = time.monotonic() + timeout
        while True:
            found = query()
            if len(found) >= count:
                return found[:count]
            crashed = [worker for worker in self.workers if worker.crashed()]
            if crashed:
                raise AssertionError(f"worker {crashed[0].who} died:\n{self.tail(crashed[0])}")
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {count}× {what}; saw {len(found)}")
            time.sleep(0.05)

    def ready(self, *workers: Worker) -> None:
        for worker in workers:
            self.wait("ready", pid=worker.pid)

    def touch(self, name: str) -> None:
        (self.directory / name).touch()

    def open_gate(self, workflow_id: str) -> None:
        self.touch(f"open-{workflow_id}")

    def step_starts(self, workflow_id: str) -> dict[int, int]:
        """How many times each step of the workflow began executing, across all processes."""
        counts: dict[int, int] = {}
        for record in self.records("step_start", wf=workflow_id):
            counts[record["i"]] = counts.get(record["i"], 0) + 1
        return counts

    def result(self, workflow_id: str, timeout: float = 20.0, **match: Any) -> Record:
        return self.wait("result", wf=workflow_id, timeout=timeout, **match)[0]

    def tail(self, worker: Worker) -> str:
        return worker.stderr.read_text(errors="replace")[-3000:]

    def stop(self) -> Iterator[str]:
        """Kill what is still running; yields each worker's output for the test log."""
        for worker in self.workers:
            if worker.process.poll() is None:
                worker.kill()
            code = worker.process.returncode
            yield f"--- {worker.who} ({worker.executor}) exit {code}\n{self.tail(worker)}"
