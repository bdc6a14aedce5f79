"""`chatops runs`, `chatops run <id>` and `chatops usage` on the database the bot wrote, on each backend."""

from __future__ import annotations

import argparse

import pytest

from bot.events import LlmStep, Usage
from bot.ops.reports import REPORTS, add_report_arguments, run_report
from bot.runs.traces import RunTraces
from bot.store.store import Store


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
    await RunTraces(store).record_llm_steps(
        run_id, [LlmStep("simulated-model", usage.input_tokens, usage.output_tokens)]
    )
    await store.finish_run(run_id, status="succeeded", usage=usage, answer="ok")
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
    assert "llm   ok   simulated-model" in out and "5 in / 7 out" in out


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
