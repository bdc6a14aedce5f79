"""Executors' heartbeats on SQLite and PostgreSQL: a row written when a process's runs start, a beat
that keeps moving (and survives a failing database), a clean exit recorded, a restart on the same
id starting afresh — and the runs' engine beating for as long as it runs."""

from __future__ import annotations

import asyncio
import logging
import os
import socket

import pytest
import sqlalchemy as sa

from bot.runs.executors import Heartbeat
from bot.services import Services
from bot.store.executors import ExecutorRecord
from bot.store.store import Store
from tests.manual_clock import until

STEPS = 20_000


async def _row(store: Store, executor_id: str = "replica-1") -> ExecutorRecord:
    record = await store.get_executor(executor_id)
    assert record is not None
    return record


async def _execute(store: Store, sql: str) -> None:
    async with store.writing() as session:
        await session.exec(sa.text(sql))  # type: ignore[call-overload]


async def test_a_heartbeat_records_its_executor_beats_and_records_a_clean_exit(store: Store) -> None:
    heartbeat = Heartbeat(store, "replica-1", "chatops", every=0.05)

    await heartbeat.start()
    first = await _row(store)
    here = ("chatops", socket.gethostname(), os.getpid(), None)
    assert (first.app_name, first.host, first.pid, first.left_at) == here
    assert first.beat_at == first.started_at

    beats: list[ExecutorRecord] = []
    for _ in range(200):
        beats.append(await _row(store))
        if beats[-1].beat_at > first.beat_at:
            break
        await asyncio.sleep(0.02)
    assert beats[-1].beat_at > first.beat_at, "the beat moves while the process runs"

    await heartbeat.stop()
    gone = await _row(store)
    assert gone.left_at is not None and gone.left_at >= gone.beat_at
    await asyncio.sleep(0.2)
    assert (await _row(store)).beat_at == gone.beat_at, "no beat after stop"
    await heartbeat.stop()  # a second stop changes nothing


async def test_a_restart_on_the_same_id_starts_afresh(store: Store) -> None:
    earlier = Heartbeat(store, "replica-1", "chatops", every=60)
    await earlier.start()
    await earlier.stop()
    left = await _row(store)

    later = Heartbeat(store, "replica-1", "chatops", every=60)
    await later.start()
    try:
        again = await _row(store)
        assert again.left_at is None
        assert again.started_at > left.started_at
        assert [record.executor_id for record in await store.executors()] == ["replica-1"]
    finally:
        await later.stop()


async def test_a_failing_beat_is_logged_and_the_heartbeat_goes_on(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    heartbeat = Heartbeat(store, "replica-1", "chatops", every=0.02)
    await heartbeat.start()
    try:
        await _execute(store, "ALTER TABLE executors RENAME TO executors_away")
        with caplog.at_level(logging.WARNING, logger="bot.runs.executors"):
            await until(lambda: "heartbeat of executor replica-1 failed" in caplog.text, steps=STEPS)
        await _execute(store, "ALTER TABLE executors_away RENAME TO executors")
        before = await _row(store)
        for _ in range(200):
            if (await _row(store)).beat_at > before.beat_at:
                break
            await asyncio.sleep(0.02)
        assert (await _row(store)).beat_at > before.beat_at, "beating again once the table is back"
    finally:
        await heartbeat.stop()


async def test_a_removed_row_is_written_again_by_the_next_beat(store: Store) -> None:
    heartbeat = Heartbeat(store, "replica-1", "chatops", every=0.02)
    await heartbeat.start()
    try:
        await _execute(store, "DELETE FROM executors")
        for _ in range(200):
            if await store.get_executor("replica-1") is not None:
                break
            await asyncio.sleep(0.02)
        assert (await _row(store)).left_at is None
    finally:
        await heartbeat.stop()


async def test_the_runs_engine_beats_while_it_runs_and_says_when_it_left(services: Services) -> None:
    engine = services.runs.engine
    assert engine is not None
    assert await services.store.get_executor(engine.executor_id) is None, "nothing before the engine starts"

    await services.runs.start()
    running = await _row(services.store, engine.executor_id)
    assert (running.app_name, running.left_at) == (engine.app_name, None)

    await services.runs.shutdown()
    assert (await _row(services.store, engine.executor_id)).left_at is not None
