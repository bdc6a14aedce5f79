"""Helpers for tests that run `chatops serve` as a real process against the simulators."""

from __future__ import annotations

import asyncio
import os
import socket

import httpx
import pytest

from tests.e2e.conftest import BOT_TOKEN, SIGNING_SECRET, Upstreams


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve_env(upstreams: Upstreams, database_url: str, port: int) -> dict[str, str]:
    """The whole configuration of a serve process, pointing at the simulators; nothing inherited."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": upstreams.slack.api_url,
        "DATABASE_URL": database_url,
        "JIRA_BASE_URL": upstreams.jira.url,
        "JIRA_EMAIL": "bot@acme.test",
        "JIRA_API_TOKEN": "jira-token",
        "GITHUB_API_URL": upstreams.github.url,
        "GITHUB_TOKEN": "ghp_token",
        "LLM_BASE_URL": upstreams.llm.base_url,
        "LLM_API_KEY": "sk-key",
        "PORT": str(port),
        "SHUTDOWN_GRACE_SECONDS": "1",
        "LOG_LEVEL": "WARNING",
    }


async def wait_healthy(url: str, process: asyncio.subprocess.Process) -> None:
    """Poll /healthz until 200; generous, since interpreters start slowly on a loaded CI machine."""
    async with httpx.AsyncClient() as client:
        for _ in range(2400):
            if process.returncode is not None:
                assert process.stderr is not None
                pytest.fail(f"serve exited early: {(await process.stderr.read()).decode()}")
            try:
                if (await client.get(f"{url}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    pytest.fail("serve never became healthy")
