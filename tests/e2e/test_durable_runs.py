"""Runs survive their process: a real `chatops serve` killed with SIGKILL mid-answer and started
again with the same executor id finishes the answer in its thread from its checkpoints (the read
it had done is not done again), and a second replica started while the first is answering (a
rolling deploy) leaves the first one's answer alone. On SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx
import pytest

from bot.slack.blocks.approvals import APPROVE
from bot.store.store import Store
from simulators.llm import ToolCall
from tests.e2e.conftest import SIGNING_SECRET, Upstreams
from tests.e2e.serve_process import free_port, serve_env, wait_healthy
from tests.e2e.slack_requests import ASKER, BOT_USER, TEAM, SlackRequests
from tests.e2e.test_approval_flow import button

CHANNEL = "C0GENERAL"
READ_OPS1 = ToolCall("jira_get_issue", {"key": "OPS-1"})
# Long enough, streamed slowly enough, that the process can be killed while it is being written.
ANSWER = " ".join(f"word{i}" for i in range(90)) + " THE-END"
REQUESTS = SlackRequests(SIGNING_SECRET)


class Serve:
    """One real `chatops serve` process that the test can kill and start again on the same slot."""

    def __init__(self, upstreams: Upstreams, database_url: str, executor: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._env = serve_env(upstreams, database_url, self.port, {"EXECUTOR_ID": executor})
        self.process: asyncio.subprocess.Process | None = None
        self.stderr = bytearray()
        self._drain: asyncio.Task[None] | None = None

    async def start(self, extra: Mapping[str, str] | None = None) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "serve",
            env={**self._env, **(extra or {})},
            stderr=asyncio.subprocess.PIPE,
        )
        await wait_healthy(self.url, self.process)
        assert self.process.stderr is not None
        self._drain = asyncio.create_task(_drain(self.process.stderr, self.stderr))

    async def kill(self) -> None:
        """SIGKILL: no drain, no shutdown code, exactly as a crash or an OOM kill."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()
        if self._drain is not None:
            await self._drain

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await asyncio.wait_for(self.process.wait(), timeout=30)
        if self._drain is not None:
            await asyncio.wait_for(self._drain, timeout=30)
        if self.stderr:
            print(f"--- {self.url} stderr ---\n{self.stderr.decode(errors='replace')}", file=sys.stderr)

    async def mention(self, text: str) -> str:
        root = f"{time.time():.6f}"
        event = {
            "type": "app_mention",
            "user": ASKER,
            "text": f"<@{BOT_USER}> {text}",
            "ts": root,
            "channel": CHANNEL,
        }
        async with httpx.AsyncClient(timeout=20) as client:
            body, headers = REQUESTS.event(event)
            response = await client.post(f"{self.url}/slack/events", content=body, headers=headers)
        assert response.status_code == 200
        return root


async def _drain(stream: asyncio.StreamReader, into: bytearray) -> None:
    while chunk := await stream.read(65536):
        into.extend(chunk)


@contextlib.asynccontextmanager
async def serve(upstreams: Upstreams, database_url: str, executor: str) -> AsyncIterator[Serve]:
    process = Serve(upstreams, database_url, executor)
    try:
        yield process
    finally:
        await process.stop()


def _bot_replies(upstreams: Upstreams, root: str) -> list[dict[str, Any]]:
    return [m for m in upstreams.slack.thread(CHANNEL, root) if m.get("bot_id")]


async def streamed_up_to(upstreams: Upstreams, root: str, word: str) -> None:
    """Wait until the answer being streamed into ``root``'s thread has reached ``word``."""
    await upstreams.slack.wait_for(
        lambda: any(word in (m.get("text") or "") for m in _bot_replies(upstreams, root)), timeout=60
    )


async def answered(upstreams: Upstreams, root: str) -> None:
    """Wait until ``root``'s thread shows the whole answer, in a message no longer streaming."""
    await upstreams.slack.wait_for(lambda: _answer_shown(upstreams, root), timeout=60)
    await upstreams.slack.wait_for(
        lambda: all(m.get("state") != "streaming" for m in _bot_replies(upstreams, root)), timeout=30
    )


def _answer_shown(upstreams: Upstreams, root: str) -> bool:
    return any("THE-END" in (m.get("text") or "") for m in _bot_replies(upstreams, root))


async def _run_statuses(database_url: str, root: str) -> list[str]:
    store = await Store.open(database_url)
    try:
        conversation = await store.find_conversation(TEAM, CHANNEL, root)
        return [run.status for run in await store.runs(conversation)] if conversation is not None else []
    finally:
        await store.close()


@pytest.mark.timeout(240)
async def test_a_run_killed_mid_answer_is_finished_by_the_restarted_process_without_repeating_its_read(
    upstreams: Upstreams, database_url: str
) -> None:
    upstreams.llm.chunk_delay = 0.15
    upstreams.llm.script([[READ_OPS1], ANSWER])
    async with serve(upstreams, database_url, "replica-1") as bot:
        await bot.start()
        root = await bot.mention("why is OPS-2 blocked?")
        # The read is done and the answer is streaming into the thread: kill it there.
        await streamed_up_to(upstreams, root, "word6")
        await bot.kill()
        assert not _answer_shown(upstreams, root)
        reads = len(upstreams.jira.requests_to("/rest/api/3/issue/OPS-1"))
        model_calls = len(upstreams.llm.chat_requests())
        assert reads == 1 and model_calls == 2

        upstreams.llm.chunk_delay = 0.0
        upstreams.llm.script([ANSWER])  # what the model says when the interrupted request is made again
        await bot.start()  # same executor id: DBOS resumes its unfinished run at launch
        await answered(upstreams, root)

    replies = _bot_replies(upstreams, root)
    answers = [m for m in replies if "word0" in (m.get("text") or "")]
    assert len(answers) == 1, replies  # the half-written attempt was replaced, not left beside it
    assert ANSWER in answers[0]["text"]
    assert not any("ask again" in (m.get("text") or "") for m in replies)
    # The finished read and the finished first model request came from the checkpoints.
    assert len(upstreams.jira.requests_to("/rest/api/3/issue/OPS-1")) == 1
    assert len(upstreams.llm.chat_requests()) == model_calls + 1
    assert await _run_statuses(database_url, root) == ["succeeded"]


@pytest.mark.timeout(240)
async def test_a_replica_started_during_an_answer_leaves_it_alone(
    upstreams: Upstreams, database_url: str
) -> None:
    upstreams.llm.chunk_delay = 0.05
    upstreams.llm.script([[READ_OPS1], ANSWER])
    async with (
        serve(upstreams, database_url, "replica-1") as first,
        serve(upstreams, database_url, "replica-2") as second,
    ):
        await first.start()
        root = await first.mention("why is OPS-2 blocked?")
        await streamed_up_to(upstreams, root, "word3")
        await second.start()  # the new replica of a rolling deploy, on the same database
        await upstreams.slack.wait_for(lambda: _answer_shown(upstreams, root), timeout=60)
        await first.stop()

    replies = _bot_replies(upstreams, root)
    assert len([m for m in replies if "word0" in (m.get("text") or "")]) == 1
    assert not any("restarted" in (m.get("text") or "") for m in replies)
    assert upstreams.slack.calls("chat.delete") == []
    assert len(upstreams.llm.chat_requests()) == 2
    assert await _run_statuses(database_url, root) == ["succeeded"]


COMMENT = ToolCall("jira_add_comment", {"key": "OPS-1", "body": "Deployed the fix to staging."})
CONTINUED = "I added the comment to OPS-1."


def _proposal(upstreams: Upstreams, root: str) -> dict[str, Any] | None:
    for message in upstreams.slack.thread(CHANNEL, root):
        for block in message.get("blocks") or []:
            if block.get("type") == "actions" and any(
                e.get("action_id") == APPROVE for e in block["elements"]
            ):
                return message
    return None


@pytest.mark.timeout(240)
async def test_an_approved_write_interrupted_before_its_run_went_on_is_made_once_and_the_run_finishes(
    upstreams: Upstreams, database_url: str
) -> None:
    upstreams.llm.script([[COMMENT], CONTINUED])
    async with serve(upstreams, database_url, "replica-1") as bot:
        await bot.start()
        root = await bot.mention("please note on OPS-1 that the fix is deployed to staging")
        await upstreams.slack.wait_for(lambda: _proposal(upstreams, root) is not None, timeout=60)
        proposal = _proposal(upstreams, root)
        assert proposal is not None
        upstreams.llm.stall_next(120)  # the run the approval resumes hangs at the model: kill it there
        body, headers = REQUESTS.block_action(button(proposal, APPROVE), message=proposal, channel=CHANNEL)
        async with httpx.AsyncClient(timeout=20) as client:
            assert (
                await client.post(f"{bot.url}/slack/events", content=body, headers=headers)
            ).status_code == 200
        async with asyncio.timeout(60):  # the resumed run's model request has arrived, and hangs
            while len(upstreams.llm.chat_requests()) < 2:  # noqa: ASYNC110  # another process's request
                await asyncio.sleep(0.05)
        await bot.kill()
        assert [w.operation for w in upstreams.jira.writes()] == ["addComment"]

        upstreams.llm.script([CONTINUED])
        await bot.start()
        await upstreams.slack.wait_for(
            lambda: any(
                CONTINUED in (m.get("text") or "") and m.get("state") != "streaming"
                for m in _bot_replies(upstreams, root)
            ),
            timeout=60,
        )

    assert [w.operation for w in upstreams.jira.writes()] == ["addComment"], "the write was made once"
    answers = [m for m in _bot_replies(upstreams, root) if CONTINUED in (m.get("text") or "")]
    assert len(answers) == 1
    assert await _run_statuses(database_url, root) == ["succeeded", "succeeded"]


@pytest.mark.timeout(240)
async def test_a_run_left_by_a_drained_replica_is_finished_by_another_one(
    upstreams: Upstreams, database_url: str
) -> None:
    upstreams.llm.chunk_delay = 0.5  # ~15 s of answer: time to start the new pod
    upstreams.llm.script([[READ_OPS1], ANSWER])
    async with (
        serve(upstreams, database_url, "pod-a1b2") as old,
        serve(upstreams, database_url, "pod-c3d4") as new,
    ):
        await old.start()
        root = await old.mention("why is OPS-2 blocked?")
        await streamed_up_to(upstreams, root, "word6")
        await new.start()  # a rolling deploy whose pods get new names: pod-a1b2 never comes back
        await old.stop()  # SIGTERM: one second of grace (serve_env), then the run is left unfinished
        assert not _answer_shown(upstreams, root)
        upstreams.llm.chunk_delay = 0.0
        upstreams.llm.script([ANSWER])
        await answered(upstreams, root)

    answers = [m for m in _bot_replies(upstreams, root) if "word0" in (m.get("text") or "")]
    assert len(answers) == 1 and ANSWER in answers[0]["text"]
    assert len(upstreams.jira.requests_to("/rest/api/3/issue/OPS-1")) == 1
    assert await _run_statuses(database_url, root) == ["succeeded"]
