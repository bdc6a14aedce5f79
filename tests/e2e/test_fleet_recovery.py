"""An operator hands a dead replica's run to a live one: a real `chatops serve` (replica-1) killed
with SIGKILL mid-answer while a second one (replica-2) runs; `chatops runs` shows the run PENDING
on replica-1; `chatops runs recover replica-1` refuses while replica-1's heartbeat is fresh, and
with `--force` the run goes to replica-2, which finishes the answer in its thread from the
checkpoints: one complete answer, the finished Jira read not done again. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from bot.store.store import Store
from tests.e2e.conftest import Upstreams
from tests.e2e.slack_requests import TEAM
from tests.e2e.test_durable_runs import CHANNEL, READ_OPS1, serve, streamed_up_to

ISSUE = "/rest/api/3/issue/OPS-1"

# Long enough to be still streaming after a second replica has started on a loaded machine.
ANSWER = " ".join(f"word{i}" for i in range(300)) + " THE-END"


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str


async def chatops(database_url: str, *argv: str) -> Outcome:
    """The real command line, in a process of its own, configured only by DATABASE_URL."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *argv,
        env={"PATH": os.environ.get("PATH", ""), "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return Outcome(process.returncode, out.decode(), err.decode())


def _replies(upstreams: Upstreams, root: str) -> list[str]:
    return [m.get("text") or "" for m in upstreams.slack.thread(CHANNEL, root) if m.get("bot_id")]


def _showing(upstreams: Upstreams, root: str, word: str) -> Callable[[], bool]:
    return lambda: any(word in text for text in _replies(upstreams, root))


def _streaming(upstreams: Upstreams, root: str) -> bool:
    messages = upstreams.slack.thread(CHANNEL, root)
    return any(m.get("state") == "streaming" for m in messages if m.get("bot_id"))


async def _only_run(database_url: str, root: str) -> tuple[str, str]:
    store = await Store.open(database_url)
    try:
        conversation = await store.find_conversation(TEAM, CHANNEL, root)
        assert conversation is not None
        (run,) = await store.runs(conversation)
        return run.id, run.status
    finally:
        await store.close()


@pytest.mark.timeout(240)
async def test_recover_refuses_a_fresh_heartbeat_then_hands_the_killed_replicas_run_to_the_live_one(
    upstreams: Upstreams, database_url: str
) -> None:
    upstreams.llm.chunk_delay = 0.15
    upstreams.llm.script([[READ_OPS1], ANSWER])
    async with (
        serve(upstreams, database_url, "replica-1") as first,
        serve(upstreams, database_url, "replica-2") as second,
    ):
        await first.start()
        root = await first.mention("why is OPS-2 blocked?")
        await streamed_up_to(upstreams, root, "word3")
        await second.start()  # after the run began on replica-1, so replica-1 owns it
        await streamed_up_to(upstreams, root, "word6")
        await first.kill()
        assert not any("THE-END" in text for text in _replies(upstreams, root))
        model_calls = len(upstreams.llm.chat_requests())
        assert len(upstreams.jira.requests_to(ISSUE)) == 1 and model_calls == 2
        upstreams.llm.chunk_delay = 0.0
        upstreams.llm.script([ANSWER])  # what the model says when the interrupted request is made again

        refused = await chatops(database_url, "runs", "recover", "replica-1")
        assert refused.code == 1 and refused.out == "", refused
        assert refused.err.count("\n") == 1 and "Traceback" not in refused.err
        assert "replica-1 (host " in refused.err and "s ago" in refused.err and "--force" in refused.err

        run_id, status = await _only_run(database_url, root)
        listing = await chatops(database_url, "runs")
        (line,) = [row for row in listing.out.splitlines() if row.startswith(run_id[:12])]
        assert status == "running" and line.split()[-2:] == ["PENDING", "replica-1"]

        handed = await chatops(database_url, "runs", "recover", "replica-1", "--force")
        assert handed.code == 0, handed
        assert "handed 1 unfinished run(s) of replica-1" in handed.out and run_id in handed.out

        await upstreams.slack.wait_for(
            lambda: any("THE-END" in t for t in _replies(upstreams, root)), timeout=60
        )
        await upstreams.slack.wait_for(lambda: not _streaming(upstreams, root), timeout=30)
        assert second.process is not None and second.process.returncode is None

    replies = _replies(upstreams, root)
    answers = [text for text in replies if "word0" in text]
    assert len(answers) == 1, replies  # the half-written attempt was replaced, not left beside it
    assert ANSWER in answers[0]
    assert not any("ask again" in text for text in replies)
    assert len(upstreams.jira.requests_to(ISSUE)) == 1, "the finished read came from its checkpoint"
    assert len(upstreams.llm.chat_requests()) == model_calls + 1
    assert await _only_run(database_url, root) == (run_id, "succeeded")
    listing = await chatops(database_url, "runs")
    (line,) = [row for row in listing.out.splitlines() if row.startswith(run_id[:12])]
    assert line.split()[-2:] == ["SUCCESS", "replica-2"]
