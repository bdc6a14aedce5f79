from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.agent.mcp import HTTPTransport, MCPServerConfig, list_tools
from bot.agent.mcp.watch import ToolListWatch
from bot.config import Settings
from bot.ops.doctor import run_doctor
from bot.store import Database, ToolLists
from simulators.github import GitHubSimulator
from simulators.jira import JiraSimulator
from simulators.llm import LLMSimulator
from simulators.mcp import MCPSimulator
from simulators.slack import SlackSimulator

STDIO_SERVER = Path(__file__).parents[1] / "agent" / "mcp" / "stdio_server.py"
TOKEN = "desk-s3cret-token"


@dataclass
class Upstreams:
    slack: SlackSimulator
    jira: JiraSimulator
    github: GitHubSimulator
    llm: LLMSimulator
    desk: MCPSimulator


@pytest.fixture
async def upstreams() -> AsyncIterator[Upstreams]:
    async with (
        SlackSimulator(token="xoxb-doc") as slack,
        JiraSimulator() as jira,
        GitHubSimulator() as github,
        LLMSimulator() as llm,
        MCPSimulator() as desk,
    ):
        yield Upstreams(slack, jira, github, llm, desk)


async def _run(
    up: Upstreams, tmp_path: Path, capsys: pytest.CaptureFixture[str], servers: dict[str, Any]
) -> tuple[int, str]:
    """The doctor's exit code and output with every upstream working and ``servers`` as MCP_CONFIG."""
    config = tmp_path / "mcp.json"
    config.write_text(json.dumps({"mcpServers": servers}), "utf-8")
    settings = Settings.load(
        "doctor",
        slack_bot_token="xoxb-doc",
        slack_signing_secret="doctor-signing-secret",
        slack_api_url=up.slack.api_url,
        database_url=f"sqlite:///{tmp_path / 'doctor.db'}",
        jira_base_url=up.jira.url,
        jira_email="me@acme.test",
        jira_api_token="jira-doctor-token",
        github_api_url=up.github.url,
        github_token="ghp_doctortoken",
        llm_base_url=up.llm.base_url,
        llm_api_key="sk-doctor-key",
        mcp_config=str(config),
    )
    code = await run_doctor(settings)
    return code, capsys.readouterr().out


def _line(out: str, server: str) -> str:
    (line,) = [line for line in out.splitlines() if line.split()[1] == f"mcp:{server}"]
    return line


async def test_trusted_annotations_count_the_mislabelled_write_as_a_read(
    upstreams: Upstreams, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = await _run(upstreams, tmp_path, capsys, {"desk": {"url": upstreams.desk.url}})
    assert code == 0, out
    assert _line(out, "desk") == (
        f"✓ mcp:desk  tools/list at {upstreams.desk.url}: "
        "4 read (incidents_list, incident_get, flag_get, …), "
        "2 write (incident_acknowledge, flag_set), 0 filtered out"
    )


async def test_untrusted_annotations_make_every_tool_not_listed_read_only_a_write(
    upstreams: Upstreams, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = {
        "url": upstreams.desk.url,
        "trust_annotations": False,
        "read_only": ["incidents_list", "incident_get", "flag_get"],
    }
    code, out = await _run(upstreams, tmp_path, capsys, {"desk": server})
    assert code == 0, out
    assert _line(out, "desk").endswith(
        ": 3 read (incidents_list, incident_get, flag_get), "
        "3 write (incident_acknowledge, incident_resolve, flag_set), 0 filtered out (annotations not trusted)"
    )


async def test_allow_and_deny_filter_tools_out(
    upstreams: Upstreams, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    servers = {
        "denied": {"url": upstreams.desk.url, "deny": ["flag_set", "incident_resolve"]},
        "allowed": {"url": upstreams.desk.url, "allow": ["incident_get", "incident_acknowledge"]},
    }
    code, out = await _run(upstreams, tmp_path, capsys, servers)
    assert code == 0, out
    assert _line(out, "denied").endswith(
        "3 read (incidents_list, incident_get, flag_get), 1 write (incident_acknowledge), 2 filtered out"
    )
    assert _line(out, "allowed").endswith(
        "1 read (incident_get), 1 write (incident_acknowledge), 4 filtered out"
    )


async def test_a_token_from_the_environment_is_sent_and_never_printed(
    upstreams: Upstreams, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESK_TOKEN", TOKEN)
    async with MCPSimulator(required_token=TOKEN) as guarded:
        servers = {
            "given": {"url": guarded.url, "headers": {"Authorization": "Bearer ${DESK_TOKEN}"}},
            "wrong": {"url": guarded.url, "headers": {"Authorization": "Bearer ${DESK_TOKEN}-old"}},
            "missing": {"url": guarded.url},
        }
        code, out = await _run(upstreams, tmp_path, capsys, servers)
        url = guarded.url
    assert code == 1
    assert _line(out, "given").startswith("✓ mcp:given")
    assert _line(out, "wrong") == (
        f"✗ mcp:wrong  tools/list at {url}: refused (HTTP 401) — fix: check the value of the "
        "Authorization header of server 'wrong' in MCP_CONFIG"
    )
    assert _line(out, "missing").endswith(
        ': refused (HTTP 401) — fix: add a header such as "Authorization": "Bearer ${TOKEN}" '
        "to server 'missing' in MCP_CONFIG"
    )
    assert TOKEN not in out


async def test_a_dead_server_is_one_line_and_the_other_checks_still_run(
    upstreams: Upstreams, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{closed.getsockname()[1]}/mcp"
        servers = {"dead": {"url": dead}, "desk": {"url": upstreams.desk.url}}
        code, out = await _run(upstreams, tmp_path, capsys, servers)
    assert code == 1
    assert _line(out, "dead") == (
        f"✗ mcp:dead  tools/list at {dead}: unreachable (ConnectError) — fix: check the url of server 'dead' "
        "in MCP_CONFIG or start the server"
    )
    checks = [line.split()[1] for line in out.splitlines()]
    assert checks == ["settings", "database", "slack", "jira", "github", "llm", "mcp:dead", "mcp:desk"]
    assert all(line.startswith("✓") for line in out.splitlines() if "mcp:dead" not in line), out


async def test_a_stdio_server_is_started_and_listed(
    upstreams: Upstreams, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    servers = {"local": {"command": sys.executable, "args": [str(STDIO_SERVER)], "env": {"EXTRA_TOOL": "x"}}}
    code, out = await _run(upstreams, tmp_path, capsys, servers)
    assert code == 0, out
    assert _line(out, "local") == (
        f"✓ mcp:local  tools/list at command {sys.executable}: "
        "1 read (greet), 2 write (shout, x), 0 filtered out"
    )


async def test_a_stdio_command_that_is_not_an_mcp_server_names_what_to_check(
    upstreams: Upstreams, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    servers = {
        "chatty": {"command": sys.executable, "args": ["-c", "print('hello')"], "env": {"KEY": "s3cret"}}
    }
    code, out = await _run(upstreams, tmp_path, capsys, servers)
    assert code == 1
    assert _line(out, "chatty").endswith(
        "not a valid MCP answer (MCPError) — fix: check command, args and env of server 'chatty' "
        "in MCP_CONFIG: they must start an MCP server on stdio"
    )
    assert "s3cret" not in out


async def test_an_unusable_config_file_is_one_line_with_its_fix(
    upstreams: Upstreams, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = await _run(upstreams, tmp_path, capsys, {"desk": {"url": upstreams.desk.url, "alow": ["x"]}})
    assert code == 1
    (line,) = [line for line in out.splitlines() if line.split()[1] == "mcp"]
    assert line.startswith(f"✗ mcp       read {tmp_path / 'mcp.json'}: server 'desk' in ")
    assert "unknown key 'alow'" in line and line.endswith(
        "— fix: correct the file named by MCP_CONFIG, or unset MCP_CONFIG"
    )


def test_the_cli_reports_a_broken_server_without_a_traceback_or_its_env(tmp_path: Path) -> None:
    # The SDK logs what a bad stdio server printed with a traceback; doctor logs at INFO by default.
    config = tmp_path / "mcp.json"
    chatty = {"command": sys.executable, "args": ["-c", "print('hello')"], "env": {"KEY": "${CHATTY_KEY}"}}
    config.write_text(json.dumps({"mcpServers": {"chatty": chatty}}), "utf-8")
    env = {**os.environ, "MCP_CONFIG": str(config), "CHATTY_KEY": "s3cret-env-value", "LOG_LEVEL": "DEBUG"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "doctor"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,  # no .env here
        env=env,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1
    assert "✗ mcp:chatty  tools/list at command" in result.stdout
    assert "Traceback" not in output and "s3cret-env-value" not in output


CHANGED = re.compile(
    r"; tool list changed at \d{4}-\d\d-\d\d \d\d:\d\d UTC: (?P<change>.*?)(?: — fix: (?P<fix>.*))?$"
)


async def test_a_tool_list_changed_since_last_seen_is_a_warning_on_the_servers_line(
    upstreams: Upstreams, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    servers = {"desk": {"url": upstreams.desk.url, "deny": ["flag_delete"]}}
    code, out = await _run(upstreams, tmp_path, capsys, servers)
    assert code == 0 and CHANGED.search(_line(out, "desk")) is None, out

    upstreams.desk.tool_list_version = 2  # adds flag_delete (denied here), rewords incident_get
    for _ in range(2):  # seen now, then still shown on the next run
        code, out = await _run(upstreams, tmp_path, capsys, servers)
        assert code == 0, out
        line = _line(out, "desk")
        assert line.startswith("✓ mcp:desk")
        changed = CHANGED.search(line)
        assert changed is not None and changed["change"] == "+flag_delete, ~incident_get", line


async def test_a_new_write_nobody_allowed_fails_until_denied_or_allowed(
    upstreams: Upstreams, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await _run(upstreams, tmp_path, capsys, {"desk": {"url": upstreams.desk.url}})
    upstreams.desk.tool_list_version = 2

    code, out = await _run(upstreams, tmp_path, capsys, {"desk": {"url": upstreams.desk.url}})
    assert code == 1, out
    changed = CHANGED.search(_line(out, "desk"))
    assert changed is not None and changed["fix"] is not None, out
    assert changed["fix"].startswith(
        "review the new write tool(s) flag_delete: add them to deny of server 'desk'"
    )

    allowed = {"url": upstreams.desk.url, "allow": ["incident_get", "flag_delete"]}
    for server in ({"url": upstreams.desk.url, "deny": ["flag_delete"]}, allowed):
        code, out = await _run(upstreams, tmp_path, capsys, {"desk": server})
        assert code == 0, out


async def test_a_change_the_agent_saw_first_is_shown_too(
    upstreams: Upstreams, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = MCPServerConfig(
        name="desk", transport=HTTPTransport(url=upstreams.desk.url), trust_annotations=True
    )
    database = await Database.open(f"sqlite:///{tmp_path / 'doctor.db'}")
    try:
        watch = ToolListWatch(ToolLists(database))
        await watch.seen("desk", await list_tools(server, timeout_seconds=10))
        upstreams.desk.tool_list_version = 2
        assert await watch.seen("desk", await list_tools(server, timeout_seconds=10)) is not None
    finally:
        await database.close()

    code, out = await _run(
        upstreams, tmp_path, capsys, {"desk": {"url": upstreams.desk.url, "deny": ["flag_delete"]}}
    )
    assert code == 0, out
    changed = CHANGED.search(_line(out, "desk"))
    assert changed is not None and changed["change"] == "+flag_delete, ~incident_get", out
