"""The MCP_CONFIG file: expansion, the errors a broken file gives, trust defaults, tool kinds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.agent.mcp import (
    HTTPTransport,
    MCPServerConfig,
    StdioTransport,
    ToolKind,
    load_mcp_config,
    tool_kind,
    usable_in,
)
from bot.errors import ConfigError

TOKEN = "pd-secret-token-do-not-print"


def config_file(tmp_path: Path, servers: dict[str, Any]) -> Path:
    path = tmp_path / "mcp.json"
    path.write_text(json.dumps({"mcpServers": servers}))
    return path


def load(tmp_path: Path, servers: dict[str, Any], **environ: str) -> list[MCPServerConfig]:
    return load_mcp_config(config_file(tmp_path, servers), environ)


def refusal(tmp_path: Path, servers: dict[str, Any], **environ: str) -> str:
    with pytest.raises(ConfigError) as refused:
        load(tmp_path, servers, **environ)
    assert refused.value.variable == "MCP_CONFIG"
    assert "\n" not in str(refused.value)
    return str(refused.value)


# --- the file -----------------------------------------------------------------------------------


def test_both_transports_are_read_with_variables_and_defaults_expanded(tmp_path: Path) -> None:
    servers = {
        "pagerduty": {
            "type": "http",
            "url": "https://mcp.pagerduty.example/mcp",
            "headers": {"Authorization": "Bearer ${PD_TOKEN}"},
        },
        "runbooks": {
            "command": "${PYTHON:-python3}",
            "args": ["-m", "runbooks", "--dir=${RUNBOOKS:-/srv/runbooks}"],
            "env": {"RB_TOKEN": "${RB_TOKEN:-}"},
            "cwd": None,
            "description": "shared with Claude Desktop",
        },
    }

    pagerduty, runbooks = load(tmp_path, servers, PD_TOKEN=TOKEN, RUNBOOKS="/opt/rb")

    assert pagerduty.transport == HTTPTransport(
        url="https://mcp.pagerduty.example/mcp", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert runbooks.transport == StdioTransport(
        command="python3", args=["-m", "runbooks", "--dir=/opt/rb"], env={"RB_TOKEN": ""}
    )
    assert TOKEN not in repr(pagerduty)


def test_a_missing_variable_names_the_server_and_the_variable_never_a_value(tmp_path: Path) -> None:
    servers = {
        "pagerduty": {
            "url": "https://mcp.pagerduty.example/mcp",
            "headers": {"Authorization": "Bearer ${PD_TOKEN}", "X-Team": "${TEAM}"},
        }
    }

    line = refusal(tmp_path, servers, TEAM=TOKEN)

    assert line == "MCP_CONFIG: server 'pagerduty' needs ${PD_TOKEN}, which is not set"


@pytest.mark.parametrize("key", ["alow", "httpHeaders", "read-only"])
def test_an_unknown_key_is_an_error_naming_it(tmp_path: Path, key: str) -> None:
    line = refusal(tmp_path, {"jira": {"url": "http://127.0.0.1:9/mcp", key: ["search"]}})

    assert f"server 'jira' in {tmp_path / 'mcp.json'} has an unknown key {key!r}" in line


def test_a_disabled_server_is_skipped(tmp_path: Path) -> None:
    servers = {
        "old": {"command": "old-server", "disabled": True},
        "new": {"command": "new-server", "disabled": False},
    }

    assert [server.name for server in load(tmp_path, servers)] == ["new"]


@pytest.mark.parametrize(
    ("servers", "says"),
    [
        ({"x": {"args": ["-v"]}}, "server 'x' in {file} needs url (an HTTP server) or command"),
        (
            {"x": {"url": "http://127.0.0.1/", "command": "y"}},
            "server 'x' in {file} has both url and command: give one",
        ),
        (
            {"x": {"url": "ftp://files.example/"}},
            "server 'x' in {file}: url: expected an http:// or https://",
        ),
        ({"x": {"command": "y", "args": "-v"}}, "server 'x' in {file}: args: Input should be a valid list"),
        ({"x": {"command": "y", "channels": ["#ops"]}}, "channels: expected Slack channel ids"),
        ({"x": {"command": "y", "disabled": "yes"}}, "disabled must be true or false"),
        (
            {"x": {"command": "y", "trust_annotations": "yes"}},
            "trust_annotations: Input should be a valid boolean",
        ),
        (
            {"x": {"command": "y", "timeout": 0}},
            "timeout: expected seconds, a number above 0 and at most 600",
        ),
        (
            {"x": {"command": "y", "timeout": 601}},
            "timeout: expected seconds, a number above 0 and at most 600",
        ),
        ({"x": {"command": "y", "timeout": "20"}}, "timeout: expected seconds"),
        ({"x": {"command": "y", "timeout": True}}, "timeout: expected seconds"),
        ({"bad name": {"command": "y"}}, "a name is 1-32 letters, digits, _ or -"),
        ({"x": "y"}, "server 'x' in {file} is not a JSON object"),
    ],
)
def test_a_broken_server_is_one_line_naming_file_and_server(
    tmp_path: Path, servers: dict[str, Any], says: str
) -> None:
    assert says.format(file=tmp_path / "mcp.json") in refusal(tmp_path, servers)


def test_a_call_timeout_is_per_server_in_seconds_twenty_by_default(tmp_path: Path) -> None:
    servers = {
        "slow": {"command": "y", "timeout": 90},
        "quick": {"command": "y", "timeout": 0.5},
        "plain": {"command": "y"},
    }

    assert [server.timeout for server in load(tmp_path, servers)] == [90.0, 0.5, 20.0]


def test_a_missing_or_malformed_file_is_one_line_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "mcp.json"
    for text, says in [
        (None, f"cannot read {path}"),
        ('{"mcpServers": {', f"{path} is not valid JSON (line 1)"),
        ('{"servers": {}}', f'{path} has no "mcpServers" object'),
    ]:
        if text is not None:
            path.write_text(text)
        with pytest.raises(ConfigError) as refused:
            load_mcp_config(path, {})
        assert str(refused.value).startswith(f"MCP_CONFIG: {says}")


# --- trust ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "trusted"),
    [
        ({"command": "local-server"}, True),
        ({"url": "http://127.0.0.1:8080/mcp"}, True),
        ({"url": "http://localhost/mcp"}, True),
        ({"url": "http://[::1]:8080/mcp"}, True),
        ({"url": "https://mcp.vendor.example/mcp"}, False),
        ({"url": "http://127.0.0.1.vendor.example/mcp"}, False),
        ({"url": "https://mcp.vendor.example/mcp", "trust_annotations": True}, True),
        ({"command": "local-server", "trust_annotations": False}, False),
    ],
)
def test_annotations_are_trusted_by_default_only_on_this_machine(
    tmp_path: Path, entry: dict[str, Any], trusted: bool
) -> None:
    (server,) = load(tmp_path, {"s": entry})

    assert server.trust_annotations is trusted


# --- tool kinds and channels ------------------------------------------------------------------

READ_HINT = {"readOnlyHint": True}


def server(**policy: Any) -> MCPServerConfig:
    policy.setdefault("trust_annotations", False)
    return MCPServerConfig(name="s", transport=StdioTransport(command="s"), **policy)


@pytest.mark.parametrize(
    ("policy", "tool", "annotations", "kind"),
    [
        ({}, "create_incident", None, "write"),
        ({}, "list_incidents", {}, "write"),
        ({"allow": ["list_incidents"]}, "create_incident", None, "filtered"),
        ({"allow": []}, "list_incidents", READ_HINT, "filtered"),
        ({"deny": ["delete_all"]}, "delete_all", None, "filtered"),
        (
            {"allow": ["delete_all"], "deny": ["delete_all"], "read_only": ["delete_all"]},
            "delete_all",
            None,
            "filtered",
        ),
        ({"read_only": ["list_incidents"]}, "list_incidents", None, "read"),
        ({"read_only": ["list_incidents"]}, "list_incidents", {"readOnlyHint": False}, "read"),
        ({"trust_annotations": True}, "list_incidents", READ_HINT, "read"),
        ({"trust_annotations": True}, "list_incidents", {"readOnlyHint": "true"}, "write"),
        ({"trust_annotations": True}, "resolve_incident", {"readOnlyHint": False}, "write"),
        # A remote server calling a write read-only: untrusted, so it still needs Approve.
        ({"trust_annotations": False}, "resolve_incident", READ_HINT, "write"),
    ],
)
def test_tool_kind(
    policy: dict[str, Any], tool: str, annotations: dict[str, Any] | None, kind: ToolKind
) -> None:
    assert tool_kind(server(**policy), tool, annotations) == kind


def test_channels_limit_where_a_server_is_usable() -> None:
    assert usable_in(server(), "C0ANYWHERE")
    assert usable_in(server(channels=["C0OPS", "C0SRE"]), "C0SRE")
    assert not usable_in(server(channels=["C0OPS"]), "C0GENERAL")
    assert not usable_in(server(channels=[]), "C0OPS")
