"""`chatops runs`, `chatops run <id>` and `chatops usage` on the database the bot wrote, on each backend."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.events import Finished, LlmStep, Usage, WorkflowEvent
from bot.ops.reports import REPORTS, add_report_arguments, run_report
from bot.ports import OneSink, Origin
from bot.runs.control import RunControl
from bot.runs.durable import RunOrder
from bot.services import Services
from bot.store.store import Store
from tests.recording_sink import RecordingSink


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="chatops")
    commands = parser.add_subparsers(dest="command", required=True)
    for name in sorted(REPORTS):
        add_report_arguments(name, commands.add_parser(name))
    return parser.parse_args(argv)


@pytest.fixture
def database(monkeypatch: pytest.MonkeyPatch, database_url: str, store: Store) -> Store:
    """The store the bot wrote to; the report finds it through DATABASE_URL, like the CLI."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("LLM_PRICES", "simulated-model=1000000:2000000")  # $1 in, $2 out per token
    return store


async def _run(store: Store, channel: str, thread: str, usage: Usage) -> str:
    conversation = await store.open_conversation("T1", channel, thread)
    run_id = await store.create_run(conversation, trigger="ask", user_id="U1")
    step = LlmStep("simulated-model", usage.input_tokens, usage.output_tokens)
    await store.finish_run(run_id, status="succeeded", usage=usage, answer="ok", llm_steps=[step])
    return run_id


async def test_runs_lists_the_newest_runs_up_to_last(
    database: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    await _run(database, "C1", "1.0", Usage(1, 1, 1))
    newest = await _run(database, "C2", "2.0", Usage(2, 3, 1))

    assert await run_report(_parse("runs", "--last", "1")) == 0

    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[0].startswith("run ")
    assert lines[1].startswith(newest[:12]) and "C2" in lines[1] and "2/3" in lines[1] and "$8" in lines[1]


async def test_runs_on_an_empty_database_says_so(database: Store, capsys: pytest.CaptureFixture[str]) -> None:
    assert await run_report(_parse("runs")) == 0
    assert capsys.readouterr().out == "no runs yet\n"


async def test_run_prints_one_trace_by_a_unique_prefix(
    database: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    run_id = await _run(database, "C1", "1.0", Usage(5, 7, 1))

    assert await run_report(_parse("run", run_id[:8])) == 0

    out = capsys.readouterr().out
    assert out.startswith(f"run {run_id}\n")
    assert "llm   done      simulated-model" in out and "5 in / 7 out" in out


async def test_an_unknown_run_is_an_error_pointing_at_runs(
    database: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run_report(_parse("run", "nope1234")) == 1

    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "chatops: no run 'nope1234' (see `chatops runs`)\n"


async def test_usage_groups_by_what_was_asked(database: Store, capsys: pytest.CaptureFixture[str]) -> None:
    await _run(database, "C1", "1.0", Usage(1, 0, 1))
    await _run(database, "C1", "2.0", Usage(2, 0, 1))
    await _run(database, "C2", "3.0", Usage(4, 0, 1))

    assert await run_report(_parse("usage", "--by", "channel", "--days", "7")) == 0

    rows = {line.split()[0]: line.split() for line in capsys.readouterr().out.splitlines()[1:]}
    assert rows["C1"][1:3] == ["2", "2"] and rows["C2"][1] == "1"
    assert rows["total"][1] == "3"


@pytest.mark.parametrize(
    "argv", [("runs", "--last", "0"), ("usage", "--days", "-1"), ("usage", "--by", "team")]
)
def test_counts_below_one_and_unknown_groupings_are_usage_errors(
    argv: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        _parse(*argv)

    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "expected a whole number of at least 1" in err or "invalid choice" in err


# -- the runs' DBOS side: status and executor columns, cancel, resume, recover ---------------------


async def _answered(services: Services, thread: str) -> str:
    """One run through the console's real engine, answered and recorded by DBOS."""
    sink = RecordingSink()
    services.runs.route("console", OneSink(sink))

    async def hello(_payload: object) -> AsyncIterator[WorkflowEvent]:
        yield Finished("hello")

    services.runs.program("test.hello", hello)
    conversation = await services.store.open_conversation("T1", "C1", thread)
    run_id = await services.store.create_run(conversation, trigger="console", user_id="U1")
    await services.runs.submit(
        RunOrder(run_id, conversation, "test.hello", None, Origin("console", "T1", "C1", thread, "U1"))
    )
    await asyncio.wait_for(sink.done.wait(), timeout=30)
    control = await RunControl.open(services.store, services.settings.database_url)
    try:
        for _ in range(1500):  # DBOS records the workflow's end just after the sink saw it
            if (await control.workflows([run_id]))[run_id].status == "SUCCESS":
                break
            await asyncio.sleep(0.02)
    finally:
        control.close()
    return run_id


@pytest.fixture
async def bot(monkeypatch: pytest.MonkeyPatch, services: Services) -> Services:
    """A bot whose runs started, on the database the commands find through DATABASE_URL.

    Started here, before ``capsys``: DBOS binds its log handler to the ``sys.stderr`` of its
    first start in the process, and capsys's stream is closed after the test."""
    monkeypatch.setenv("DATABASE_URL", services.settings.database_url)
    await services.runs.start()
    return services


async def test_runs_shows_each_runs_dbos_status_and_executor(
    bot: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    run_id = await _answered(bot, "1.0")
    assert bot.runs.engine is not None

    assert await run_report(_parse("runs")) == 0

    header, line = capsys.readouterr().out.splitlines()
    assert header.split()[-2:] == ["dbos", "executor"]
    assert line.startswith(run_id[:12]) and line.split()[-2:] == ["SUCCESS", bot.runs.engine.executor_id]
    assert header.index("dbos") == line.index("SUCCESS"), "the columns line up"


async def test_runs_still_lists_when_the_runs_system_database_cannot_be_opened(
    database: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    run_id = await _run(database, "C1", "1.0", Usage(1, 1, 1))  # written with no engine: no DBOS side

    assert await run_report(_parse("runs")) == 0

    captured = capsys.readouterr()
    header, line = captured.out.splitlines()
    assert line.startswith(run_id[:12]) and line.split()[-2:] == ["-", "-"]
    assert captured.err == ""


async def test_resume_of_a_finished_run_and_cancel_of_an_unknown_one_are_one_line_errors(
    bot: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    run_id = await _answered(bot, "1.0")

    assert await run_report(_parse("runs", "resume", run_id[:12])) == 1
    assert await run_report(_parse("runs", "cancel", "nope")) == 1
    assert await run_report(_parse("runs", "recover", "replica-9")) == 1

    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        f"chatops: run {run_id} already ended (SUCCESS); nothing to resume",
        "chatops: no run 'nope' in the runs' system database (see `chatops runs`)",
        "chatops: no executor 'replica-9': it never beat here and has no unfinished runs",
    ]


async def test_recover_refuses_an_executor_that_beats_and_says_how_to_force_it(
    bot: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    await _answered(bot, "1.0")  # the engine runs and beats
    engine = bot.runs.engine
    assert engine is not None

    # A console's runs are its own app's: the fleet's `recover` finds none of them to hand over.
    assert await run_report(_parse("runs", "recover", engine.executor_id)) == 1
    assert await run_report(_parse("runs", "recover", engine.executor_id, "--force")) == 0

    captured = capsys.readouterr()
    assert f"{engine.executor_id} (host " in captured.err and "--force" in captured.err
    assert captured.err.count("\n") == 1
    assert captured.out == f"executor {engine.executor_id} has no unfinished runs\n"


def test_runs_takes_its_actions_after_the_command_and_keeps_last() -> None:
    assert (_parse("runs", "--last", "5").last, _parse("runs", "--last", "5").action) == (5, None)
    recover = _parse("runs", "recover", "replica-1", "--force")
    assert (recover.action, recover.executor, recover.force) == ("recover", "replica-1", True)
    assert (_parse("runs", "cancel", "abc").action, _parse("runs", "cancel", "abc").run_id) == (
        "cancel",
        "abc",
    )


def test_a_run_action_without_its_argument_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        _parse("runs", "cancel")

    assert exited.value.code == 2
    assert "run_id" in capsys.readouterr().err
