"""Operators' control of the fleet's runs, from outside any bot process (``chatops runs …``).

``RunControl`` reads and steers the durable runs through a ``DBOSClient`` on the runs' system
database: it never launches DBOS, so it runs beside a live fleet. It shows each run's DBOS status,
its executor and how many steps it has recorded; it cancels a run wherever it is; it puts a run
back on its queue; and it hands the unfinished runs of an executor that died to the live ones.

Handing over is only safe when the executor is really gone: a live one is still running those
runs, and a second copy would answer twice. DBOS cannot tell, so the executors' heartbeats
(``bot.runs.executors``) decide: a beat younger than ``SILENT_SECONDS`` refuses, unless forced.

A run goes back on the ``runs`` queue, where its partition key (its conversation) and its
recorded steps stay as they were: whichever process dequeues it resumes it from its last
completed step, in its thread's order. A durable task (``approval-…``) goes back on DBOS's
internal queue, which every process of the app serves.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from dbos import DBOSClient, WorkflowStatus
from dbos._error import DBOSException
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.errors import BotError
from bot.events import Usage
from bot.runs.durable import STOPPED, queue_name
from bot.runs.engine import SLACK_APP, system_database_url
from bot.store import ExecutorRecord, Store

T = TypeVar("T")

# An executor silent this long is presumed dead: six missed beats (bot.runs.executors.BEAT_SECONDS).
SILENT_SECONDS = 30.0
RUN_WORKFLOW = "chatops.run"  # the name bot.runs.durable registers every run under
IN_FLIGHT = ("ENQUEUED", "PENDING", "DELAYED")
ENDED = ("SUCCESS", "ERROR")
_PREFIX_CHARS = 4


class ControlError(BotError):
    """An operator's command that cannot be done; the message says why, in one line."""


@dataclass(frozen=True, slots=True)
class WorkflowState:
    """A run (or durable task) as DBOS knows it."""

    workflow_id: str
    name: str
    status: str  # ENQUEUED, PENDING, SUCCESS, ERROR, CANCELLED, …
    executor_id: str | None
    steps: int  # recorded, i.e. not done again when it resumes
    queue: str | None = None  # the queue it was enqueued on, if any

    @property
    def is_run(self) -> bool:
        return self.name == RUN_WORKFLOW


class RunControl:
    """The fleet's runs as an operator sees them. Create with ``await RunControl.open(...)``."""

    def __init__(self, store: Store, client: DBOSClient, *, app_name: str = SLACK_APP) -> None:
        self._store = store
        self._client = client
        self._app_name = app_name

    @classmethod
    async def open(
        cls, store: Store, database_url: str, *, system_url: str | None = None, app_name: str = SLACK_APP
    ) -> RunControl:
        """A client on ``DATABASE_URL``'s system database; ControlError when there is none to open.
        ``app_name`` is the app whose runs ``recover`` hands over (the fleet's)."""
        url = _existing_system_database(database_url, system_url)
        try:
            client = await asyncio.to_thread(_client, url)
        except (DBOSException, SQLAlchemyError, OSError) as exc:
            raise ControlError(f"cannot open the runs' system database ({_first_line(exc)})") from None
        return cls(store, client, app_name=app_name)

    def close(self) -> None:
        self._client.destroy()

    # -- reading ---------------------------------------------------------------------------------

    async def workflows(self, ids: Sequence[str]) -> dict[str, WorkflowState]:
        """Each of ``ids`` that DBOS knows, by id."""
        if not ids:
            return {}
        statuses = await self._call(
            self._client.list_workflows, workflow_ids=list(ids), load_input=False, load_output=False
        )
        return {status.workflow_id: await self._state(status) for status in statuses}

    async def find(self, workflow_id: str) -> WorkflowState:
        """The workflow with this id, or the only one whose id starts with it (as ``chatops runs``
        shows them); ControlError when there is none, or several."""
        found = await self._call(
            self._client.list_workflows, workflow_ids=[workflow_id], load_input=False, load_output=False
        )
        if not found and len(workflow_id) >= _PREFIX_CHARS:
            found = await self._call(
                self._client.list_workflows,
                workflow_id_prefix=workflow_id,
                limit=2,
                load_input=False,
                load_output=False,
            )
        if not found:
            raise ControlError(f"no run {workflow_id!r} in the runs' system database (see `chatops runs`)")
        if len(found) > 1:
            raise ControlError(f"{workflow_id!r} is the start of several runs' ids; give more of it")
        return await self._state(found[0])

    # -- steering --------------------------------------------------------------------------------

    async def cancel(self, workflow_id: str) -> WorkflowState:
        """Stop a run wherever it is: a live process running it ends it at its next step; a
        queued one never starts, nor does one left by a dead executor (their rows end here, as
        no process will end them)."""
        state = await self.find(workflow_id)
        if state.status not in IN_FLIGHT:
            raise ControlError(f"run {state.workflow_id} is not in flight ({state.status}): nothing to stop")
        await self._call(self._client.cancel_workflow, state.workflow_id)
        ends_itself = state.status == "PENDING" and await self._alive(state.executor_id)
        if not ends_itself and await self._store.get_run(state.workflow_id) is not None:
            await self._store.finish_run(
                state.workflow_id, status="interrupted", usage=Usage(), error=STOPPED
            )
        return state

    async def resume(self, workflow_id: str) -> WorkflowState:
        """Put a run back on its queue, to be finished from its checkpoints by whichever live
        process dequeues it. Refused while its executor may still be running it."""
        state = await self.find(workflow_id)
        if state.status in ENDED:
            raise ControlError(f"run {state.workflow_id} already ended ({state.status}); nothing to resume")
        run = await self._store.get_run(state.workflow_id)
        if run is not None and run.finished:
            raise ControlError(f"run {state.workflow_id} already ended ({run.status}); nothing to resume")
        if state.status == "PENDING" and (beat := await self._beat(state.executor_id)) is not None:
            _refuse_if_alive(beat, f"run {state.workflow_id} is running on executor {beat.executor_id}")
        await self._requeue(state)
        return state

    async def recover(self, executor: str, *, force: bool = False) -> list[WorkflowState]:
        """Hand ``executor``'s unfinished runs to the live processes of the app. Refused while the
        executor beats (unless ``force``), and for an executor that never beat and has none."""
        pending = await self._call(
            self._client.list_workflows,
            executor_id=executor,
            status="PENDING",
            application_name=self._app_name,
            load_input=False,
            load_output=False,
        )
        beat = await self._store.get_executor(executor)
        if beat is None and not pending:
            raise ControlError(f"no executor {executor!r}: it never beat here and has no unfinished runs")
        if beat is not None and not force:
            _refuse_if_alive(beat, f"executor {executor}")
        states = [await self._state(status) for status in pending]
        for state in states:
            await self._requeue(state)
        return states

    # -- helpers ---------------------------------------------------------------------------------

    async def _beat(self, executor_id: str | None) -> ExecutorRecord | None:
        return None if executor_id is None else await self._store.get_executor(executor_id)

    async def _alive(self, executor_id: str | None) -> bool:
        beat = await self._beat(executor_id)
        return beat is not None and _is_alive(beat)

    async def _requeue(self, state: WorkflowState) -> None:
        # Runs go back on their partitioned queue; a task without a queue name goes on DBOS's
        # internal one (resume_workflows' default), which every process of the app serves.
        queue = (state.queue or queue_name(self._app_name)) if state.is_run else None
        await self._call(self._client.resume_workflow, state.workflow_id, queue_name=queue)

    async def _state(self, status: WorkflowStatus) -> WorkflowState:
        steps = await self._call(self._client.list_workflow_steps, status.workflow_id, load_output=False)
        return WorkflowState(
            status.workflow_id, status.name, status.status, status.executor_id, len(steps), status.queue_name
        )

    async def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except (DBOSException, SQLAlchemyError, OSError) as exc:
            raise ControlError(f"the runs' system database failed ({_first_line(exc)})") from None


def _is_alive(beat: ExecutorRecord) -> bool:
    return beat.left_at is None and beat.silent_for() < SILENT_SECONDS


def _refuse_if_alive(beat: ExecutorRecord, what: str) -> None:
    if _is_alive(beat):
        raise ControlError(
            f"{what} may still be alive: {beat.executor_id} (host {beat.host}, pid {beat.pid}) beat "
            f"{beat.silent_for():.0f} s ago; wait until it has been silent for {SILENT_SECONDS:.0f} s, "
            "or pass --force if you know it is gone"
        )


def _existing_system_database(database_url: str, override: str | None) -> str:
    """The system database's URL, if one can already exist: opening a SQLite file that is not
    there would create an empty one, and an in-memory database is gone with its process."""
    url, scratch = system_database_url(database_url, override)
    if scratch is not None:
        shutil.rmtree(scratch, ignore_errors=True)
        raise ControlError("an in-memory DATABASE_URL keeps no runs beyond its process")
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").exists():
        raise ControlError(f"no runs' system database at {parsed.database} (no bot has run here yet)")
    return url


def _client(url: str) -> DBOSClient:
    # No application of its own: an operator sees every app's runs (the console's too), and
    # ``recover`` names the app it hands over. An unreachable database is an error to report,
    # not a wait (by default the client retries forever).
    return DBOSClient(system_database_url=url, application_name=None, retry_connection_errors=False)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
