"""Helpers for tests that run `chatops serve` as a real process against the simulators."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
from collections.abc import AsyncIterator, Mapping

import httpx
import pytest

from tests.e2e.conftest import BOT_TOKEN, SIGNING_SECRET, Upstreams


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve_env(
    upstreams: Upstreams, database_url: str, port: int, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The whole configuration of a serve process, pointing at the simulators; nothing inherited
    but PATH (``extra`` adds or overrides documented variables)."""
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
        **(extra or {}),
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


@contextlib.asynccontextmanager
async def serve_processes(
    upstreams: Upstreams, database_url: str, count: int, extra: Mapping[str, str] | None = None
) -> AsyncIterator[list[str]]:
    """``count`` serve processes started at the same moment on one database; yields their URLs
    once all are healthy, and terminates them (and shows what they logged) at the end."""
    ports = [free_port() for _ in range(count)]
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "serve",
            env=serve_env(upstreams, database_url, port, extra),
            stderr=asyncio.subprocess.PIPE,
        )
        for port in ports
    ]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    logs: list[bytearray] = []
    drains: list[asyncio.Task[None]] = []
    try:
        await asyncio.gather(*(wait_healthy(url, p) for url, p in zip(urls, processes, strict=True)))
        # A full stderr pipe would block a process mid-log; read it all along instead.
        for process in processes:
            logs.append(bytearray())
            assert process.stderr is not None
            drains.append(asyncio.create_task(_drain(process.stderr, logs[-1])))
        yield urls
    finally:
        for process in processes:
            if process.returncode is None:
                process.terminate()
        for process in processes:
            await asyncio.wait_for(process.wait(), timeout=20)
        for drain in drains:
            await asyncio.wait_for(drain, timeout=20)
        for url, log in zip(urls, logs, strict=False):
            if log:  # captured by pytest: shown with a failing test
                print(f"--- {url} stderr ---\n{log.decode(errors='replace')}", file=sys.stderr)


async def _drain(stream: asyncio.StreamReader, into: bytearray) -> None:
    while chunk := await stream.read(65536):
        into.extend(chunk)
