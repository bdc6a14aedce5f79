"""`build_services`: the running bot's parts wired from Settings, on the simulators and each database."""

from __future__ import annotations

import json
import os
import re
import socket
from pathlib import Path
from typing import Any

import pytest

from bot.agent import PydanticAgent
from bot.config import Settings
from bot.errors import ConfigError
from bot.lookup.commands import NO_GITHUB, NO_JIRA
from bot.runs import CONSOLE_APP, SLACK_APP
from bot.services import Services, build_services, github_client, jira_client
from integrations.github.client import GitHubClient
from integrations.jira.client import JiraClient
from simulators.jira import JiraSimulator
from simulators.llm import LLMSimulator


def _settings(**overrides: Any) -> Settings:
    return Settings.load("console", **overrides)


async def test_the_console_services_offer_writes_through_a_desk_and_the_workflows(services: Services) -> None:
    assert services.desk is not None and services.workflows is not None
    assert isinstance(services.agent, PydanticAgent)
    assert {"jira_get_issue", "jira_create_issue", "github_comment"} <= set(services.agent.tool_names)
    assert (await services.lookup.jira("OPS-2")).kind == "jira_issue"
    assert services.runs.accepting


async def test_write_users_and_channels_reach_the_approval_desk(
    database_url: str, llm: LLMSimulator, jira: JiraSimulator
) -> None:
    settings = _settings(
        database_url=database_url,
        jira_base_url=jira.url,
        jira_email="me@acme.test",
        jira_api_token="token",
        llm_base_url=llm.base_url,
        write_users=["U1"],
        write_channels=["C1"],
    )
    services = await build_services(settings)
    try:
        assert services.desk is not None
        assert services.desk.refusal("U1", "C1") is None
        assert "WRITE_USERS" in (services.desk.refusal("U2", "C1") or "")
        assert "WRITE_CHANNELS" in (services.desk.refusal("U1", "C2") or "")
    finally:
        await services.aclose()

    assert not services.runs.accepting, "closing stops intake first"


@pytest.mark.parametrize(
    ("mode", "port", "executor"),
    [
        ("serve", 3001, f"serve@{socket.gethostname()}:3001"),
        ("socket", None, f"socket@{socket.gethostname()}"),
    ],
)
async def test_the_slack_modes_share_one_application_each_under_a_stable_identity(
    database_url: str,
    llm: LLMSimulator,
    monkeypatch: pytest.MonkeyPatch,
    mode: str,
    port: int | None,
    executor: str,
) -> None:
    monkeypatch.delenv("DBOS__VMID", raising=False)
    services = await build_services(
        _settings(database_url=database_url, llm_base_url=llm.base_url), mode, port=port
    )
    try:
        engine = services.runs.engine
        assert engine is not None and (engine.app_name, engine.executor_id) == (SLACK_APP, executor)
    finally:
        await services.aclose()


@pytest.mark.parametrize("mode", ["console", "demo"])
async def test_a_terminal_session_runs_as_an_application_of_its_own(
    database_url: str, llm: LLMSimulator, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    monkeypatch.delenv("DBOS__VMID", raising=False)
    services = await build_services(_settings(database_url=database_url, llm_base_url=llm.base_url), mode)
    try:
        engine = services.runs.engine
        assert engine is not None and engine.app_name.startswith(CONSOLE_APP)
        assert engine.executor_id == f"{mode}@{socket.gethostname()}:{os.getpid()}"
        # DBOS's own rule for application names, checked when the engine launches.
        assert re.fullmatch(r"[a-z0-9_-]{3,256}", engine.app_name), engine.app_name
        await services.runs.start()
    finally:
        await services.aclose()


async def test_executor_id_names_the_process_to_its_runs(database_url: str, llm: LLMSimulator) -> None:
    settings = _settings(database_url=database_url, llm_base_url=llm.base_url, executor_id="replica-a")
    services = await build_services(settings, "serve", port=3000)
    try:
        assert services.runs.engine is not None and services.runs.engine.executor_id == "replica-a"
    finally:
        await services.aclose()


async def test_without_jira_or_github_there_are_no_clients_and_no_lookups(
    database_url: str, llm: LLMSimulator
) -> None:
    services = await build_services(_settings(database_url=database_url, llm_base_url=llm.base_url))
    try:
        assert (await services.lookup.jira("OPS-2")).title == NO_JIRA
        assert (await services.lookup.github("acme/payments#42")).title == NO_GITHUB
        assert isinstance(services.agent, PydanticAgent)
        assert not any(name.startswith(("jira_", "github_")) for name in services.agent.tool_names)
    finally:
        await services.aclose()


async def test_a_jira_client_needs_a_site_and_credentials() -> None:
    assert jira_client(_settings()) is None
    assert jira_client(Settings(jira_base_url="http://127.0.0.1:9")) is None  # not validated by load()
    client = jira_client(_settings(jira_base_url="http://127.0.0.1:9", jira_pat="pat-token"))
    assert isinstance(client, JiraClient)
    await client.aclose()


async def test_a_github_client_needs_a_token_or_an_app() -> None:
    assert github_client(_settings()) is None
    client = github_client(_settings(github_token="ghp_token", github_api_url="http://127.0.0.1:9"))
    assert isinstance(client, GitHubClient)
    await client.aclose()


def test_an_unreadable_app_key_names_the_variable_never_the_value() -> None:
    settings = _settings(
        github_app_id="12345",
        github_app_private_key="not-a-pem-key-secret-value",
        github_app_installation_id="67890",
    )

    with pytest.raises(ConfigError) as invalid:
        github_client(settings)

    assert invalid.value.variable == "GITHUB_APP_PRIVATE_KEY"
    assert "not-a-pem-key-secret-value" not in invalid.value.message


async def test_a_broken_mcp_config_stops_the_wiring_before_anything_opens(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    servers = {
        "pagerduty": {"url": "https://mcp.pd.example/mcp", "headers": {"Authorization": "${PD_TOKEN}"}}
    }
    (tmp_path / "mcp.json").write_text(json.dumps({"mcpServers": servers}))
    monkeypatch.chdir(tmp_path)  # its .env is the one read for ${VAR}
    database = tmp_path / "never-made.db"
    settings = _settings(database_url=f"sqlite:///{database}", mcp_config=tmp_path / "mcp.json")

    with pytest.raises(ConfigError) as caught:
        await build_services(settings)

    assert str(caught.value) == "MCP_CONFIG: server 'pagerduty' needs ${PD_TOKEN}, which is not set"
    assert not database.exists(), "nothing was opened"
