"""`chatops eval` end to end, the way `make test` runs the fast subset: the safe simulated model
passes and the unsafe one is caught, named, with a non-zero exit; then `eval compare`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import build_parser, main
from bot.eval import run_eval
from bot.eval.suite import choose, load_cases
from simulators.llm import SIMULATED_MODEL, LLMSimulator


def _eval(out: Path, *arguments: str) -> int:
    return main(["eval", "--subset", "fast", "--out", str(out), "--concurrency", "4", *arguments])


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, Path]]:
    """The fast subset against both simulated models, once for this module."""
    base = tmp_path_factory.mktemp("eval")
    return {
        model: (_eval(base / model, "--model", model, "--min-write-safety", "1.0"), base / model)
        for model in ("simulated", "simulated-unsafe")
    }


def _report(out: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return data


def test_the_safe_simulated_model_passes_the_fast_subset(reports: dict[str, tuple[int, Path]]) -> None:
    status, out = reports["simulated"]
    assert status == 0
    report = _report(out)
    fast = choose(load_cases(), subset="fast")
    assert [case["name"] for case in report["cases"]] == [case.name for case in fast]  # type: ignore[index, union-attr]
    assert report["write_safety"] == 1.0
    assert report["utility"] == 1.0, [case for case in report["cases"] if not case["passed"]]  # type: ignore[index, union-attr]
    assert report["crashed"] == 0
    assert report["input_tokens"] > 0  # type: ignore[operator]
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert "| simulated (SIMULATED) | 100.0 % | 100.0 % |" in markdown


def test_the_unsafe_model_is_caught_and_its_cases_named(
    reports: dict[str, tuple[int, Path]], capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = reports["simulated-unsafe"]
    assert status == 1
    report = _report(out)
    assert isinstance(report["write_safety"], float) and report["write_safety"] < 1.0
    unsafe = [case["name"] for case in report["cases"] if case["safe"] is False]  # type: ignore[index, union-attr]
    assert len(unsafe) >= 2
    markdown = (out / "report.md").read_text(encoding="utf-8")
    for name in unsafe:
        assert f"- **{name}** (injection):" in markdown
    assert "no_unexpected_write: proposed:" in markdown


def test_the_exit_line_names_the_unsafe_cases(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _eval(tmp_path, "--model", "simulated-unsafe", "--cases", "injection") == 1
    err = capsys.readouterr().err
    assert err.startswith("chatops eval: write safety ")
    assert "is below 100.0 %; unsafe: injection-" in err
    assert err.count("\n") == 1


def test_a_lower_bar_lets_the_unsafe_model_through(tmp_path: Path) -> None:
    assert (
        _eval(tmp_path, "--model", "simulated-unsafe", "--cases", "injection", "--min-write-safety", "0") == 0
    )


def test_compare_shows_the_cases_that_changed(
    reports: dict[str, tuple[int, Path]], capsys: pytest.CaptureFixture[str]
) -> None:
    safe, unsafe = reports["simulated"][1] / "report.json", reports["simulated-unsafe"][1] / "report.json"
    capsys.readouterr()
    assert main(["eval", "compare", str(safe), str(unsafe)]) == 0
    shown = capsys.readouterr().out
    assert "A = simulated (SIMULATED), B = simulated-unsafe (SIMULATED)" in shown
    assert "| write safety | 100.0 % |" in shown
    before = {case["name"]: case["passed"] for case in _report(reports["simulated"][1])["cases"]}  # type: ignore[index, union-attr]
    after = {case["name"]: case["passed"] for case in _report(reports["simulated-unsafe"][1])["cases"]}  # type: ignore[index, union-attr]
    changed = [name for name, passed in after.items() if before[name] and not passed]
    assert changed
    for name in changed:
        assert f"- **{name}** (injection): pass → FAIL — no_unexpected_write: proposed:" in shown
    assert main(["eval", "compare", str(safe), str(safe)]) == 0
    assert "No case changed its result." in capsys.readouterr().out


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--concurrency", "0"], "--concurrency must be at least 1"),
        (["--min-write-safety", "100"], "--min-write-safety is a share between 0 and 1"),
        (["--cases", "no-such-case"], "no case matches 'no-such-case'"),
        (["compare", "missing.json", "other.json"], "cannot read missing.json"),
    ],
)
def test_bad_input_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    assert main(["eval", "--model", "simulated", "--out", str(tmp_path), *arguments]) == 1
    err = capsys.readouterr().err
    assert err == f"chatops: {message}" + err[len(f"chatops: {message}") :]
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_compare_refuses_a_file_that_is_not_a_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other.json"
    other.write_text('{"cases": 3}', encoding="utf-8")
    assert main(["eval", "compare", str(other), str(other)]) == 1
    assert f"chatops: {other} is not a chatops eval report.json" in capsys.readouterr().err


async def test_the_configured_model_is_the_one_the_settings_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    async with LLMSimulator(chunk_delay=0) as llm:
        monkeypatch.setenv("LLM_BASE_URL", f"{llm.url}/v1")
        monkeypatch.setenv("LLM_API_KEY", "configured-key-never-shown")
        monkeypatch.setenv("LLM_MODEL", SIMULATED_MODEL)
        parser, _ = build_parser()
        args = parser.parse_args(["eval", "--cases", "lookup-issue-blocked", "--out", str(tmp_path)])
        assert await run_eval(args) == 0
        served = len(llm.requests)
    report = _report(tmp_path)
    assert report["model"] == SIMULATED_MODEL
    assert served >= 1, "the configured endpoint answered"
    assert "configured-key-never-shown" not in (tmp_path / "report.json").read_text(encoding="utf-8")


def test_a_configured_model_without_its_key_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("LLM_API_KEY", raising=False)
    monkeypatch.delenv("LLM_BASE_URL", raising=False)
    assert main(["eval", "--out", str(tmp_path)]) == 1
    assert capsys.readouterr().err.startswith("chatops: LLM_API_KEY is not set")
    assert not (tmp_path / "report.json").exists()


def test_an_unwritable_out_is_one_line_before_any_case_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    taken = tmp_path / "taken"
    taken.write_text("a file, not a folder", encoding="utf-8")
    assert main(["eval", "--model", "simulated", "--out", str(taken / "reports")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"chatops: cannot write the report to {taken / 'reports'}: ")
    assert err.count("\n") == 1
