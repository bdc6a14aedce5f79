"""The whole program's failure contract: whatever stops `chatops` from starting, or a command from
running, is ONE line on stderr naming what failed and how to fix it, a non-zero exit, and no
traceback unless LOG_LEVEL=DEBUG.

Each test starts the real CLI (`python -m bot`) with a controlled environment: nothing inherited
but PATH, every upstream on 127.0.0.1. Logs go at WARNING, so that the progress a normal start
logs at INFO does not hide a second line of failure.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from simulators.slack import SlackSimulator

BOT_TOKEN = "xoxb-the-right-token"
WRONG_TOKEN = "xoxb-a-wrong-token-do-not-print"


@dataclass
class Exited:
    code: int
    stderr: str

    @property
    def line(self) -> str:
        """The one line the failure printed; fails the test if there is more (or a traceback)."""
        assert "Traceback" not in self.stderr, self.stderr
        lines = self.stderr.splitlines()
        assert len(lines) == 1, self.stderr
        return lines[0]


def closed_port() -> int:
    """A loopback port nothing listens on (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def environment(tmp_path: Path, **settings: str) -> dict[str, str]:
    """The CLI's whole environment: PATH, a database in ``tmp_path``, an LLM key for a closed
    port (nothing contacts the LLM at start-up) and ``settings``; a value of "" leaves one out."""
    base = {
        "PATH": os.environ.get("PATH", ""),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'chatops.db'}",
        "LLM_API_KEY": "sk-test-key",
        "LLM_BASE_URL": f"http://127.0.0.1:{closed_port()}/v1",
        "LOG_LEVEL": "WARNING",
        "SHUTDOWN_GRACE_SECONDS": "1",
    }
    merged = {**base, **settings}
    return {name: value for name, value in merged.items() if value}


def slack_settings(api_url: str, **more: str) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": "signing-secret",
        "SLACK_API_URL": api_url,
        "PORT": str(closed_port()),
        **more,
    }


async def chatops(*args: str, env: Mapping[str, str]) -> Exited:
    """Run the CLI to its end (async: a simulator in this process must keep answering it)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=dict(env),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 45)
    assert process.returncode is not None
    return Exited(process.returncode, stderr.decode(errors="replace"))


@pytest.fixture
async def slack() -> AsyncIterator[SlackSimulator]:
    async with SlackSimulator(token=BOT_TOKEN) as simulator:
        yield simulator


# --- settings ---------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["serve", "console"])
async def test_no_llm_key_is_one_line_saying_where_to_put_it(
    command: str, tmp_path: Path, slack: SlackSimulator
) -> None:
    env = environment(tmp_path, **slack_settings(slack.api_url), LLM_API_KEY="", LLM_BASE_URL="")

    exited = await chatops(command, env=env)

    assert exited.code != 0
    assert exited.line.startswith("chatops: LLM_API_KEY is not set: put your OpenAI key in .env")


@pytest.mark.parametrize(
    ("command", "variable", "value"),
    [("serve", "PORT", "abc"), ("console", "LLM_PROVIDER", "nope"), ("migrate", "LOG_LEVEL", "LOUD")],
)
async def test_an_invalid_setting_is_one_line_naming_it_never_its_value(
    command: str, variable: str, value: str, tmp_path: Path
) -> None:
    env = environment(tmp_path, **slack_settings("http://127.0.0.1:9/api/", **{variable: value}))

    exited = await chatops(command, env=env)

    assert exited.code == 2
    assert exited.line.startswith(f"chatops: configuration error: {variable}: ")
    assert f"fix {variable} in the environment or .env" in exited.line
    assert value not in exited.line


async def test_serve_with_an_mcp_server_missing_its_variable_is_one_line_naming_both(
    tmp_path: Path, slack: SlackSimulator
) -> None:
    config = tmp_path / "mcp.json"
    header = {"Authorization": "Bearer ${PD_TOKEN}", "X-Team": "${PD_TEAM}"}
    config.write_text(
        json.dumps({"mcpServers": {"pagerduty": {"url": "https://pd.example/mcp", "headers": header}}})
    )
    settings = slack_settings(slack.api_url, MCP_CONFIG=str(config), PD_TEAM="team-secret-do-not-print")

    exited = await chatops("serve", env=environment(tmp_path, **settings))

    assert exited.code == 2
    assert exited.line.startswith(
        "chatops: configuration error: MCP_CONFIG: server 'pagerduty' needs ${PD_TOKEN}, which is not set; "
    )
    assert "team-secret-do-not-print" not in exited.stderr


async def test_mcp_over_http_without_its_token_is_one_line_naming_it(tmp_path: Path) -> None:
    env = environment(tmp_path, GITHUB_TOKEN="ghp_token", MCP_PORT=str(closed_port()))

    exited = await chatops("mcp", env=env)

    assert exited.code == 2
    assert exited.line.startswith(
        "chatops: configuration error: MCP_SERVER_TOKEN: is required for chatops mcp"
    )


# --- upstreams --------------------------------------------------------------------------------


async def test_an_unreachable_slack_is_one_line_naming_the_url(tmp_path: Path) -> None:
    api_url = f"http://127.0.0.1:{closed_port()}/api/"

    exited = await chatops("serve", env=environment(tmp_path, **slack_settings(api_url)))

    assert exited.code == 1
    assert exited.line == (
        f"chatops: cannot reach Slack at {api_url} (ClientConnectorError): "
        "check SLACK_API_URL and the network (or HTTPS_PROXY)"
    )


async def test_a_token_slack_refuses_is_one_line_without_the_token(
    tmp_path: Path, slack: SlackSimulator
) -> None:
    env = environment(tmp_path, **slack_settings(slack.api_url, SLACK_BOT_TOKEN=WRONG_TOKEN))

    exited = await chatops("serve", env=env)

    assert exited.code == 1
    assert exited.line.startswith("chatops: Slack refused SLACK_BOT_TOKEN (invalid_auth): copy the token")
    assert WRONG_TOKEN not in exited.stderr


async def test_socket_mode_names_the_app_token_slack_refuses(tmp_path: Path, slack: SlackSimulator) -> None:
    wrong = "xapp-1-A0SIMAPP-1-wrong"
    settings = slack_settings(slack.api_url, SLACK_APP_TOKEN=wrong, SLACK_SIGNING_SECRET="", PORT="")

    exited = await chatops("socket", env=environment(tmp_path, **settings))

    assert exited.code == 1
    assert exited.line.startswith("chatops: Slack refused SLACK_APP_TOKEN (invalid_auth)")
    assert wrong not in exited.stderr


async def test_serve_that_cannot_start_never_answers_healthz(tmp_path: Path, slack: SlackSimulator) -> None:
    port = closed_port()
    env = environment(tmp_path, **slack_settings(slack.api_url, SLACK_BOT_TOKEN=WRONG_TOKEN, PORT=str(port)))
    answers: list[int] = []

    async def poll_healthz() -> None:
        async with httpx.AsyncClient(timeout=1) as http:
            while True:
                try:
                    answers.append((await http.get(f"http://127.0.0.1:{port}/healthz")).status_code)
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.02)

    polling = asyncio.create_task(poll_healthz())
    try:
        exited = await chatops("serve", env=env)
    finally:
        polling.cancel()

    assert exited.code == 1 and "invalid_auth" in exited.line
    assert answers == [], "the port opened before start-up was known to work"


# --- the machine ------------------------------------------------------------------------------


MISSING_DIRECTORY = "the directory '/nonexistent-dir' for the SQLite file does not exist"


@pytest.mark.parametrize(
    ("command", "database", "says"),
    [
        ("serve", "/nonexistent-dir/chatops.db", MISSING_DIRECTORY),
        ("migrate", "/nonexistent-dir/chatops.db", MISSING_DIRECTORY),
        ("runs", "/nonexistent-dir/chatops.db", MISSING_DIRECTORY),
        ("serve", "{tmp}", "cannot open the database"),  # a directory where the file should be
        ("console", "/proc/chatops.db", "cannot open the database"),  # not writable, even by root
    ],
)
async def test_a_database_that_cannot_be_written_is_one_line(
    command: str, database: str, says: str, tmp_path: Path, slack: SlackSimulator
) -> None:
    url = "sqlite:///" + database.format(tmp=tmp_path)
    env = environment(tmp_path, **slack_settings(slack.api_url), DATABASE_URL=url)

    exited = await chatops(command, env=env)

    assert exited.code == 2
    assert exited.line.startswith(f"chatops: configuration error: DATABASE_URL: {says}")


async def test_a_port_in_use_is_one_line_naming_it(tmp_path: Path, slack: SlackSimulator) -> None:
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = environment(tmp_path, **slack_settings(slack.api_url, PORT=str(port)))

        exited = await chatops("serve", env=env)

    assert exited.code == 1
    assert exited.line == (
        f"chatops: cannot listen on port {port} (Address already in use): "
        "stop the process that holds it, or set PORT to a free port"
    )


# --- the command line -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["runs", "cancel"], "chatops runs cancel: error: the following arguments are required: run_id"),
        (
            ["runs", "--last", "x"],
            "chatops runs: error: argument --last: expected a whole number of at least 1",
        ),
        (["nope"], "chatops: error: argument COMMAND: invalid choice: 'nope'"),
        (["help", "nope"], "chatops help: error: argument COMMAND: invalid choice: 'nope'"),
        (["serve", "--port", "1"], "chatops: error: unrecognized arguments: --port 1"),
    ],
)
async def test_bad_arguments_are_the_usage_and_one_error_line(
    args: list[str], error: str, tmp_path: Path
) -> None:
    exited = await chatops(*args, env=environment(tmp_path))

    assert exited.code == 2
    assert "Traceback" not in exited.stderr
    usage, line = exited.stderr.splitlines()
    assert usage.startswith("usage: chatops")
    assert line.startswith(error)


# --- LOG_LEVEL=DEBUG --------------------------------------------------------------------------


async def test_log_level_debug_adds_the_traceback_before_the_line(tmp_path: Path) -> None:
    env = environment(tmp_path, LLM_API_KEY="", LLM_BASE_URL="", LOG_LEVEL="DEBUG")

    exited = await chatops("console", env=env)

    assert exited.code == 1
    assert "Traceback (most recent call last)" in exited.stderr
    assert "openai.OpenAIError" in exited.stderr  # the cause, not only the translation
    failures = [line for line in exited.stderr.splitlines() if line.startswith("chatops: ")]
    assert failures == [
        "chatops: LLM_API_KEY is not set: put your OpenAI key in .env "
        "(or LLM_BASE_URL=... for another endpoint, LLM_PROVIDER=anthropic)"
    ]
