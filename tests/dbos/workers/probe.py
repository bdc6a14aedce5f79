"""A real DBOS process for the assumption tests: it registers the probe workflows, launches on
the system database it is given, runs a JSON plan of actions, then keeps serving (queues,
recovery, schedules) until the test kills it.

Everything the process observes goes into ``$PROBE_DIR/journal.jsonl`` (one JSON object a line,
appended with O_APPEND so several processes can share the file); the tests assert on it. Steps
that must block wait for a file the test creates (``open-<workflow id>``).

Run: ``python probe.py --url URL --executor ID [--plan JSON]`` with ``PROBE_DIR`` and
``PROBE_WHO`` (a label for the journal) in the environment.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any

from dbos import DBOS, DBOSConfig, ScheduleInput, SetEnqueueOptions, SetWorkflowID, WorkflowHandleAsync

DIR = Path(os.environ["PROBE_DIR"])
WHO = os.environ.get("PROBE_WHO", "worker")
APP_NAME = "dbos-probe"
APP_VERSION = "probe-v1"  # pinned: the default hashes the source, and every process must agree
POLL = 0.1  # seconds; every queue and the notification listener poll this often

# The queues every probe process registers (the same definitions, so no process overwrites another's).
QUEUES: dict[str, dict[str, Any]] = {
    "conversation": {"partition_concurrency": 1},
    "capped": {"worker_concurrency": 2},
    "limited": {"limiter": {"limit": 3, "period": 2.0}, "worker_concurrency": 2},
}


def journal(ev: str, **fields: Any) -> None:
    record = {"t": time.time(), "pid": os.getpid(), "who": WHO, "ev": ev, **fields}
    line = (json.dumps(record, default=str) + "\n").encode()
    fd = os.open(DIR / "journal.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)  # one write of a short line on O_APPEND: never interleaved
    finally:
        os.close(fd)


async def until_file(name: str) -> None:
    # Another process creates the file: there is no in-process event to wait on.
    while not (DIR / name).exists():  # noqa: ASYNC110
        await asyncio.sleep(0.02)


# --- Workflows and steps ------------------------------------------------------------------------


@DBOS.step(name="mark")
async def mark(i: int, gated: bool, hold: float) -> str:
    workflow_id = DBOS.workflow_id
    journal("step_start", wf=workflow_id, i=i)
    if gated:
        await until_file(f"open-{workflow_id}")
    if hold:
        await asyncio.sleep(hold)
    journal("step_end", wf=workflow_id, i=i)
    return f"{WHO}:{os.getpid()}:{i}"


@DBOS.workflow(name="steps")
async def steps(n: int, gate: int, hold: float) -> list[str]:
    """``n`` checkpointed steps; step ``gate`` blocks until the test opens it."""
    results = []
    for i in range(n):
        results.append(await mark(i, i == gate, hold))
    return results


@DBOS.workflow(name="waiter")
async def waiter(timeout: float) -> Any:  # noqa: ASYNC109 (it is recv's durable timeout)
    """The Approve shape: a step, a durable wait for a message, a step."""
    await mark(0, False, 0.0)
    journal("recv_wait", wf=DBOS.workflow_id)
    message = await DBOS.recv_async("approval", timeout_seconds=timeout)
    journal("recv_got", wf=DBOS.workflow_id, msg=message)
    await mark(1, False, 0.0)
    return message


@DBOS.workflow(name="job")
async def job(hold: float) -> str:
    await mark(0, False, hold)
    return WHO


@DBOS.step(name="tick_mark")
async def tick_mark(at: str) -> None:
    journal("tick", wf=DBOS.workflow_id, at=at)


@DBOS.workflow(name="tick")
async def tick(scheduled_at: datetime, context: Any) -> None:
    await tick_mark(scheduled_at.isoformat())


WORKFLOWS: dict[str, Callable[..., Coroutine[Any, Any, Any]]] = {"steps": steps, "waiter": waiter, "job": job}


# --- Plan actions -------------------------------------------------------------------------------


async def report(handle: WorkflowHandleAsync[Any]) -> None:
    workflow_id = handle.get_workflow_id()
    try:
        value = await handle.get_result(polling_interval_sec=POLL)
    except Exception as error:  # the journal is the report: the test asserts on the error's name
        journal("result", wf=workflow_id, error=type(error).__name__, message=str(error))
        return
    journal("result", wf=workflow_id, value=value)


def _args(kind: str, action: dict[str, Any]) -> list[Any]:
    if kind == "steps":
        return [action.get("n", 3), action.get("gate", -1), action.get("hold", 0.0)]
    if kind == "waiter":
        return [action.get("timeout", 30.0)]
    return [action.get("hold", 0.0)]


async def do_start(action: dict[str, Any]) -> None:
    began = time.perf_counter()
    kind = action.get("wf", "steps")
    with SetWorkflowID(action["id"]):
        handle: WorkflowHandleAsync[Any] = await DBOS.start_workflow_async(
            WORKFLOWS[kind], *_args(kind, action)
        )
    journal("started", wf=action["id"], ms=(time.perf_counter() - began) * 1000)
    task = asyncio.create_task(report(handle))
    _background.add(task)
    if action.get("await"):
        await task


async def do_enqueue(action: dict[str, Any]) -> None:
    kind = action.get("wf", "job")
    with SetWorkflowID(action["id"]), SetEnqueueOptions(queue_partition_key=action.get("key")):
        handle: WorkflowHandleAsync[Any] = await DBOS.enqueue_workflow_async(
            action["queue"], WORKFLOWS[kind], *_args(kind, action)
        )
    journal("enqueued", wf=action["id"], queue=action["queue"], key=action.get("key"))
    _background.add(asyncio.create_task(report(handle)))


async def do_await(action: dict[str, Any]) -> None:
    await report(await DBOS.retrieve_workflow_async(action["id"]))


async def do_send(action: dict[str, Any]) -> None:
    await DBOS.send_async(action["id"], action["msg"], "approval")
    journal("sent", wf=action["id"], msg=action["msg"])


async def do_cancel(action: dict[str, Any]) -> None:
    await DBOS.cancel_workflow_async(action["id"])
    journal("cancelled", wf=action["id"])


async def do_resume(action: dict[str, Any]) -> None:
    handle = await DBOS.resume_workflow_async(action["id"])
    journal("resumed", wf=action["id"])
    _background.add(asyncio.create_task(report(handle)))


async def do_fork(action: dict[str, Any]) -> None:
    """Fork after the last recorded step, so the copy keeps every completed step's result."""
    recorded = await DBOS.list_workflow_steps_async(action["id"])
    start_step = max((s["function_id"] for s in recorded if s["error"] is None), default=0) + 1
    with SetWorkflowID(action["fork_id"]):
        handle = await DBOS.fork_workflow_async(action["id"], start_step)
    journal("forked", wf=action["id"], fork=handle.get_workflow_id(), start_step=start_step)
    _background.add(asyncio.create_task(report(handle)))


async def do_recover(action: dict[str, Any]) -> None:
    # Internal API, synchronous: run it off the loop.
    handles = await asyncio.to_thread(DBOS._recover_pending_workflows, action["executors"])
    journal("recovered", wfs=[h.get_workflow_id() for h in handles])


async def do_status(action: dict[str, Any]) -> None:
    status = await DBOS.get_workflow_status_async(action["id"])
    assert status is not None, action["id"]
    journal(
        "status",
        wf=action["id"],
        status=status.status,
        executor=status.executor_id,
        queue=status.queue_name,
        version=status.app_version,
    )


async def do_list(action: dict[str, Any]) -> None:
    for status in await DBOS.list_workflows_async(queue_name=action.get("queue"), name=action.get("name")):
        journal(
            "listed",
            wf=status.workflow_id,
            status=status.status,
            executor=status.executor_id,
            dequeued_at=status.dequeued_at,
            completed_at=status.completed_at,
        )


async def do_schedule(action: dict[str, Any]) -> None:
    schedule: ScheduleInput = {"schedule_name": "tick", "workflow_fn": tick, "schedule": action["cron"]}
    await DBOS.apply_schedules_async([schedule])
    journal("scheduled", cron=action["cron"])


async def do_wait_file(action: dict[str, Any]) -> None:
    await until_file(action["name"])


async def do_sleep(action: dict[str, Any]) -> None:
    await asyncio.sleep(action["s"])


async def do_align(action: dict[str, Any]) -> None:
    """Sleep until the wall clock's fraction of a second reaches ``at`` (SQLite stamps whole seconds)."""
    await asyncio.sleep((action["at"] - time.time() % 1.0) % 1.0)


ACTIONS: dict[str, Callable[[dict[str, Any]], Awaitable[None]]] = {
    "start": do_start,
    "enqueue": do_enqueue,
    "await": do_await,
    "send": do_send,
    "cancel": do_cancel,
    "resume": do_resume,
    "fork": do_fork,
    "recover": do_recover,
    "status": do_status,
    "list": do_list,
    "schedule": do_schedule,
    "wait_file": do_wait_file,
    "sleep": do_sleep,
    "align": do_align,
}
_background: set[asyncio.Task[None]] = set()


# --- Process ------------------------------------------------------------------------------------


def config(url: str, executor_id: str) -> DBOSConfig:
    return {
        "name": APP_NAME,
        "system_database_url": url,
        "executor_id": executor_id,
        "application_version": APP_VERSION,
        "notification_listener_polling_interval_sec": POLL,
        "scheduler_polling_interval_sec": 1.0,
        "sys_db_pool_size": 5,
        "log_level": "WARNING",
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--executor", required=True)
    parser.add_argument("--plan", default="[]", help="a JSON list of {'do': action, ...}")
    parser.add_argument("--exit", action="store_true", help="exit after the plan instead of serving")
    options = parser.parse_args()

    DBOS(config=config(options.url, options.executor))
    DBOS.launch()  # on the loop's thread, so queued and recovered workflows run on this loop
    for name, limits in QUEUES.items():
        await DBOS.register_queue_async(name, polling_interval_sec=POLL, **limits)
    journal("ready", executor=options.executor)

    for action in json.loads(options.plan):
        await ACTIONS[action["do"]](action)
        journal("done", action=action["do"])
    if options.exit:
        await asyncio.gather(*_background)
        journal("exit")
        await asyncio.to_thread(DBOS.destroy)
        return
    await asyncio.Event().wait()  # serve until killed


if __name__ == "__main__":
    asyncio.run(main())
