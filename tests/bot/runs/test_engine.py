"""The durable-run engine: where DBOS keeps its system database for each DATABASE_URL, who this
process is to DBOS, one engine per process, a step checkpointed inside a run only, and DBOS's
logging kept to what needs attention."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from dbos import DBOS

from bot.config import Settings
from bot.errors import ConfigError
from bot.events import Finished, Interrupted, TextDelta, WorkflowEvent
from bot.ports import OneSink, Origin
from bot.runs.durable import RunOrder, Runs, run_queue
from bot.runs.engine import (
    CANCELLED_WARNING,
    Engine,
    QuietCancellation,
    executor_identity,
    in_workflow,
    step,
    system_database_url,
)
from bot.store.store import Store
from tests.manual_clock import until
from tests.recording_sink import RecordingSink

HOST = socket.gethostname()


def _engine(system_url: str, scratch: Path | None = None) -> Engine:
    return Engine(
        system_url=system_url,
        app_name="chatops-test",
        executor_id="test@here",
        queues=[run_queue(2)],
        scratch=scratch,
    )


# -- the system database ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("database_url", "expected"),
    [
        ("sqlite:////var/lib/chatops/chatops.db", "sqlite:////var/lib/chatops/chatops.dbos.sqlite"),
        ("sqlite+aiosqlite:////data/bot.sqlite3", "sqlite:////data/bot.dbos.sqlite"),
        ("sqlite:///./chatops.db", "sqlite:///chatops.dbos.sqlite"),
        (" sqlite:////srv/chatops.db ", "sqlite:////srv/chatops.dbos.sqlite"),
    ],
)
def test_sqlite_gets_a_file_of_its_own_beside_ours(database_url: str, expected: str) -> None:
    assert system_database_url(database_url) == (expected, None)


@pytest.mark.parametrize(
    "database_url", ["sqlite://", "sqlite:///:memory:", "sqlite:///file::memory:?cache=shared"]
)
def test_in_memory_sqlite_gets_a_scratch_file_removed_when_the_engine_stops(database_url: str) -> None:
    url, scratch = system_database_url(database_url)

    assert scratch is not None and scratch.is_dir()
    assert url == f"sqlite:///{scratch / 'dbos.sqlite'}"
    scratch.rmdir()


@pytest.mark.parametrize(
    "database_url",
    [
        "postgresql://chatops:p%40ss@127.0.0.1:5432/chatops",
        "postgresql+asyncpg://chatops:p%40ss@127.0.0.1:5432/chatops",
        "postgresql+psycopg://chatops:p%40ss@127.0.0.1:5432/chatops",
    ],
)
def test_postgresql_shares_our_database_with_its_password(database_url: str) -> None:
    assert system_database_url(database_url) == (
        "postgresql+psycopg://chatops:p%40ss@127.0.0.1:5432/chatops",
        None,
    )


def test_an_explicit_system_database_wins(tmp_path: Path) -> None:
    override = f"sqlite:///{tmp_path / 'elsewhere.sqlite'}"

    assert system_database_url("sqlite:///:memory:", override) == (override, None)
    assert system_database_url("postgresql://db/chatops", override) == (override, None)


# -- who this process is ---------------------------------------------------------------------


@pytest.fixture
def no_vmid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DBOS__VMID", raising=False)


@pytest.mark.usefixtures("no_vmid")
def test_the_default_identity_tells_apart_the_processes_of_one_host() -> None:
    assert executor_identity("serve", port=3001) == f"serve@{HOST}:3001"
    assert executor_identity("socket") == f"socket@{HOST}"
    assert executor_identity("console") == f"console@{HOST}:{os.getpid()}"
    assert executor_identity("demo") == f"demo@{HOST}:{os.getpid()}"


def test_dbos_vmid_names_the_process_when_nothing_explicit_does(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DBOS__VMID", "vm-7")

    assert executor_identity("serve", port=3001) == "vm-7"
    assert executor_identity("serve", port=3001, explicit="replica-a") == "replica-a"


def test_executor_id_from_the_environment_wins_over_dbos_vmid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DBOS__VMID", "vm-7")
    monkeypatch.setenv("EXECUTOR_ID", "replica-a")

    settings = Settings.load("console")

    assert executor_identity("serve", port=3000, explicit=settings.executor_id) == "replica-a"


# -- one engine per process ------------------------------------------------------------------


@pytest.fixture
async def started(tmp_path: Path) -> AsyncIterator[Engine]:
    engine = _engine(f"sqlite:///{tmp_path / 'system.sqlite'}")
    await engine.start()
    yield engine
    await engine.stop()


async def test_a_second_engine_in_the_process_is_refused(started: Engine, tmp_path: Path) -> None:
    second = _engine(f"sqlite:///{tmp_path / 'other.sqlite'}")

    with pytest.raises(RuntimeError, match="already running in this process"):
        await second.start()


async def test_a_stopped_engine_can_be_started_again_on_the_same_loop(tmp_path: Path) -> None:
    first = _engine(f"sqlite:///{tmp_path / 'system.sqlite'}")
    await first.start()
    await DBOS.list_workflows_async()  # any async DBOS call adopts this loop's default executor
    await first.stop()

    again = _engine(f"sqlite:///{tmp_path / 'system.sqlite'}")
    await again.start()
    await again.stop()


async def test_the_scratch_database_of_an_in_memory_store_goes_with_the_engine() -> None:
    url, scratch = system_database_url("sqlite:///:memory:")
    engine = _engine(url, scratch)

    await engine.start()
    assert scratch is not None and (scratch / "dbos.sqlite").is_file()
    await engine.stop()

    assert not scratch.exists()


async def test_a_system_database_that_cannot_be_opened_names_the_variable(tmp_path: Path) -> None:
    engine = _engine(f"sqlite:///{tmp_path / 'missing' / 'dir' / 'system.sqlite'}")

    with pytest.raises(ConfigError) as refused:
        await engine.start()

    assert refused.value.variable == "DATABASE_URL"
    assert "cannot open the runs' system database" in refused.value.message


# -- steps -----------------------------------------------------------------------------------


async def _twice(value: int) -> int:
    return value * 2


async def test_a_step_is_a_plain_call_outside_a_run() -> None:
    assert not in_workflow()
    assert await step("test.twice", _twice, 21) == 42


async def test_inside_a_run_a_step_is_checkpointed_under_its_name(store: Store, database_url: str) -> None:
    url, scratch = system_database_url(database_url)
    runs = Runs(store, _engine(url, scratch))
    sink = RecordingSink()
    runs.route("test", OneSink(sink))
    seen: list[Any] = []

    async def program(value: int) -> AsyncIterator[WorkflowEvent]:
        seen.append(in_workflow())
        doubled = await step("test.twice", _twice, value)
        yield Finished(str(doubled))

    runs.program("twice", program)
    conversation = await store.open_conversation("T1", "C1", "1.0")
    run_id = await store.create_run(conversation, trigger="ask", user_id="U1")
    try:
        await runs.submit(
            RunOrder(run_id, conversation, "twice", 21, Origin("test", "T1", "C1", "1.0", "U1"))
        )
        await runs.wait_idle()
        steps = await DBOS.list_workflow_steps_async(run_id)
    finally:
        await runs.shutdown()

    assert seen == [True]
    assert sink.events == [Finished("42")]
    assert [(s["function_name"], s["output"]) for s in steps] == [("test.twice", 42)]


# -- logging ---------------------------------------------------------------------------------


class Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def test_a_stop_asked_for_logs_no_warning(store: Store, database_url: str) -> None:
    stepping = asyncio.Event()

    async def forever() -> None:
        stepping.set()
        await asyncio.Event().wait()

    async def stuck_in_a_step(_payload: Any) -> AsyncIterator[WorkflowEvent]:
        yield TextDelta("partial")
        await step("test.forever", forever)  # as a run waits on the model or a tool
        yield Finished("never")

    url, scratch = system_database_url(database_url)
    runs = Runs(store, _engine(url, scratch))
    sink = RecordingSink()
    runs.route("test", OneSink(sink))
    runs.program("stuck", stuck_in_a_step)
    kept = Kept()
    dbos_log = logging.getLogger("dbos")  # DBOS's own logger, whatever handlers it ends up with
    dbos_log.addHandler(kept)
    conversation = await store.open_conversation("T1", "C1", "1.0")
    run_id = await store.create_run(conversation, trigger="ask", user_id="U1")
    try:
        await runs.submit(
            RunOrder(run_id, conversation, "stuck", None, Origin("test", "T1", "C1", "1.0", "U1"))
        )
        await until(stepping.is_set, steps=20_000)  # cancelled inside the step, where DBOS warns
        assert await runs.stop(run_id) is True
        await runs.wait_idle()
    finally:
        await runs.shutdown()
        dbos_log.removeHandler(kept)

    assert isinstance(sink.events[-1], Interrupted), "the run was stopped"
    assert [record.getMessage() for record in kept.records if record.levelno >= logging.WARNING] == []


def test_the_cancel_warning_is_demoted_to_debug_and_kept_only_where_debug_is_logged() -> None:
    quiet, logger = QuietCancellation(), logging.getLogger("test.dbos")

    def warning(message: str) -> logging.LogRecord:
        return logger.makeRecord(logger.name, logging.WARNING, __file__, 1, message, None, None)

    cancelled, other = warning(CANCELLED_WARNING + " functools.partial(f)"), warning("Workflow x failed")
    logger.setLevel(logging.WARNING)
    assert quiet.filter(cancelled) is False
    assert (cancelled.levelno, cancelled.levelname) == (logging.DEBUG, "DEBUG")
    assert quiet.filter(other) is True and other.levelno == logging.WARNING
    logger.setLevel(logging.DEBUG)
    assert quiet.filter(warning(CANCELLED_WARNING + " functools.partial(f)")) is True
    logger.setLevel(logging.NOTSET)
