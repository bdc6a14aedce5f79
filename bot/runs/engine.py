"""The durable-execution engine: DBOS embedded in this process, its system database and identity.

DBOS checkpoints every run (a workflow) and each of its steps in a *system database*: a SQLite
file beside ``DATABASE_URL``'s, or the same PostgreSQL database (schema ``dbos``) for a fleet.
Alembic owns our tables; DBOS owns its own.

Three settings decide what a process may touch, and each is chosen here on purpose:
- the **application name** (``chatops`` for Slack, ``chatops-console`` for the terminal): queues,
  recovery and schedules are scoped by it, so a console on the fleet's database never runs the
  fleet's workflows, nor the fleet the console's;
- the **executor id** (``EXECUTOR_ID``, else ``DBOS__VMID``, else ``mode@host[:port]``): at launch a
  process resumes the unfinished workflows of its own id only, so a restart on the same slot picks
  up where the killed process stopped and a second replica never touches a live peer's runs;
- the **application version** (``RUNS_VERSION``), pinned: DBOS's default is a hash of the source,
  which would strand every run in flight at any code change. DBOS wants version names (and queue
  names) unique among the applications on one system database, so any application but Slack's
  (each terminal session is one) carries its name in its version (``version_of``).

DBOS is a process-wide singleton: one engine at a time per process. Its logger keeps to what
needs attention: the warning it gives for every cancelled step is demoted (``QuietCancellation``).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import os
import shutil
import socket
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from dbos import DBOS, DBOSClient, DBOSConfig
from dbos._context import _clear_local_dbos_context
from sqlalchemy.engine import make_url

from bot.errors import ConfigError

log = logging.getLogger(__name__)

T = TypeVar("T")

# Bump only when a workflow's sequence of steps changes incompatibly: runs in flight on the old
# version are then left to a process that still has it (blue-green), never replayed on new code.
RUNS_VERSION = "runs-1"
SLACK_APP = "chatops"
CONSOLE_APP = "chatops-console"
# Enqueue → start is one queue poll; 0.1 s keeps the first sign of a run well under 300 ms.
QUEUE_POLL_SECONDS = 0.1
DBOS_LOGGER = "dbos"
CANCELLED_WARNING = "Asyncio task cancelled for workflow or step"


class QuietCancellation(logging.Filter):
    """Demotes DBOS's "Asyncio task cancelled for workflow or step …" warning to DEBUG.

    DBOS gives it whenever a step's task is cancelled. Here that is a Stop someone asked for, a
    spent time budget or a shutdown, each of which the runs say and record themselves: a warning
    on every Stop would only teach people to ignore warnings.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.WARNING or not record.getMessage().startswith(CANCELLED_WARNING):
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        # The logger let it through as a warning; as a debug record it passes only where DEBUG does.
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


_QUIET_CANCELLATION = QuietCancellation()


@dataclass(frozen=True)
class QueueSpec:
    """A DBOS queue this process serves, as registered in the system database."""

    name: str
    worker_concurrency: int | None = None  # per process
    global_concurrency: int | None = None  # across the fleet
    partitioned: bool = False  # one run at a time per partition key (a conversation), fleet-wide
    polling_interval_sec: float = QUEUE_POLL_SECONDS


def system_database_url(database_url: str, override: str | None = None) -> tuple[str, Path | None]:
    """DBOS's system database for ``DATABASE_URL``, and a scratch directory to remove on stop.

    SQLite gets a file of its own beside ours (sharing one file would share its single writer);
    PostgreSQL the same database (DBOS keeps to its ``dbos`` schema); in-memory SQLite a temporary
    file, since DBOS needs one its threads can open.
    """
    if override:
        return override, None
    url = make_url(database_url.strip())
    if url.get_backend_name() == "postgresql":
        return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False), None
    database = url.database or ""
    if database.startswith("file:"):
        database = database.removeprefix("file:").split("?", 1)[0]
    if database in ("", ":memory:") or database.startswith(":memory:"):
        scratch = Path(tempfile.mkdtemp(prefix="chatops-dbos-"))
        return f"sqlite:///{scratch / 'dbos.sqlite'}", scratch
    path = Path(database)
    return f"sqlite:///{path.with_name(path.stem + '.dbos.sqlite')}", None


def executor_identity(mode: str, *, port: int | None = None, explicit: str | None = None) -> str:
    """This process's executor id: stable across its restarts, distinct from its peers'."""
    if explicit:
        return explicit
    if vmid := os.environ.get("DBOS__VMID"):
        return vmid
    host = socket.gethostname()
    if port is not None:
        return f"{mode}@{host}:{port}"
    if mode in ("console", "demo"):
        # A terminal session is one of many on a host and is not restarted in place.
        return f"{mode}@{host}:{os.getpid()}"
    return f"{mode}@{host}"


def version_of(app_name: str) -> str:
    """The application version ``app_name`` runs under (unique to it on a shared system database)."""
    return RUNS_VERSION if app_name == SLACK_APP else f"{RUNS_VERSION}-{app_name}"


class Engine:
    """DBOS for this process: launched after migrations, destroyed on shutdown."""

    def __init__(
        self,
        *,
        system_url: str,
        app_name: str,
        executor_id: str,
        queues: Sequence[QueueSpec],
        scratch: Path | None = None,
    ) -> None:
        self.system_url = system_url
        self.app_name = app_name
        self.version = version_of(app_name)
        self.executor_id = executor_id
        self.queues = tuple(queues)
        self._scratch = scratch
        self._launched = False

    @classmethod
    def beside(
        cls,
        database_url: str,
        *,
        app_name: str,
        executor_id: str,
        queues: Sequence[QueueSpec],
        system_url: str | None = None,
    ) -> Engine:
        """The engine whose system database goes with ``DATABASE_URL`` (``system_database_url``),
        unless ``system_url`` names one."""
        url, scratch = system_database_url(database_url, system_url)
        return cls(system_url=url, app_name=app_name, executor_id=executor_id, queues=queues, scratch=scratch)

    async def start(self) -> None:
        """Migrate DBOS's tables, register the queues, then launch on this event loop.

        Queues are written before launch so that the queue thread serves them from its first
        poll (one registered after launch is discovered up to a second later).
        """
        if DBOS_RUNNING.is_set():
            raise RuntimeError("a durable-run engine is already running in this process")
        try:
            await asyncio.to_thread(self._prepare)
        except Exception as exc:
            raise ConfigError("DATABASE_URL", f"cannot open the runs' system database ({exc})") from None
        DBOS(config=self._config())
        logging.getLogger(DBOS_LOGGER).addFilter(_QUIET_CANCELLATION)  # once: the same filter is kept once
        # On the loop's thread: DBOS then runs queued and recovered workflows on this loop.
        DBOS.launch()
        DBOS_RUNNING.set()
        self._launched = True
        log.info(
            "durable runs: executor %s, app %s, version %s", self.executor_id, self.app_name, self.version
        )

    async def stop(self) -> None:
        """Destroy DBOS without waiting for workflows: what is unfinished stays to be resumed."""
        if self._launched:
            self._launched = False
            await asyncio.to_thread(DBOS.destroy, workflow_completion_timeout_sec=0)
            DBOS_RUNNING.clear()
            # DBOS made its thread pool this loop's default executor and shut it down: give the
            # loop a fresh one, or every later to_thread (a new engine's too) would be refused.
            asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor())
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    def client(self) -> DBOSClient:
        """A client on the same system database (reads and steering without a launch)."""
        return DBOSClient(system_database_url=self.system_url, application_name=self.app_name)

    def _prepare(self) -> None:
        _write_ahead_log(self.system_url)
        DBOS.migrate(self.system_url)
        client = DBOSClient(system_database_url=self.system_url, application_name=self.app_name)
        try:
            for queue in self.queues:
                client.register_queue(
                    queue.name,
                    worker_concurrency=queue.worker_concurrency,
                    global_concurrency=queue.global_concurrency,
                    partition_concurrency=1 if queue.partitioned else None,
                    polling_interval_sec=queue.polling_interval_sec,
                    on_conflict="always_update",
                    application_name=self.app_name,
                )
        finally:
            client.destroy()

    def _config(self) -> DBOSConfig:
        return {
            "name": self.app_name,
            "system_database_url": self.system_url,
            "executor_id": self.executor_id,
            "application_version": self.version,
            "run_migrations": False,
            "notification_listener_polling_interval_sec": QUEUE_POLL_SECONDS,
            "scheduler_polling_interval_sec": 5.0,
            "sys_db_pool_size": 10,
            "log_level": "WARNING",
        }


DBOS_RUNNING = threading.Event()  # DBOS is one per process: is it launched here?


def _write_ahead_log(system_url: str) -> None:
    """Put a SQLite system database in WAL mode (it stays so): DBOS leaves SQLite in its rollback
    journal, where every step's commit syncs twice and a reader blocks the writers."""
    url = make_url(system_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return
    with contextlib.closing(sqlite3.connect(url.database)) as connection:
        connection.execute("PRAGMA journal_mode=WAL")


def outside_runs() -> contextvars.Context:
    """A copy of the current context with no run in it: for a task started beside a run (one that
    renders its events) whose calls must never count as the run's steps."""
    context = contextvars.copy_context()
    context.run(_clear_local_dbos_context)
    return context


def in_workflow() -> bool:
    """True inside a durable run's own code (not inside one of its steps)."""
    return DBOS_RUNNING.is_set() and DBOS.workflow_id is not None and DBOS.step_id is None


async def step(name: str, fn: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> T:
    """Run ``fn(*args)`` as a checkpointed step of the current run: a resumed run gets the recorded
    result instead of running it again. Outside a run it is a plain call. The result must pickle."""
    if not in_workflow():
        return await fn(*args)
    result: T = await DBOS.run_step_async({"name": name, "retries_allowed": False}, fn, *args)
    return result
