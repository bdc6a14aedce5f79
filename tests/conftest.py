"""Suite-wide fixtures: no network beyond loopback, and no developer environment leaking in."""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from dbos import DBOS

from bot.runs.engine import system_database_url
from bot.store.store import Store
from tests.postgres_server import PostgresServer

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


class NetworkBlocked(RuntimeError):
    """A test tried to reach beyond loopback."""


def _is_loopback(host: object) -> bool:
    if host is None:
        return True  # AI_PASSIVE binds
    if isinstance(host, bytes):
        host = host.decode()
    if not isinstance(host, str):
        return False
    if host in _LOOPBACK_NAMES or host == "":
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _check_address(address: Any) -> None:
    if isinstance(address, tuple) and address and not _is_loopback(address[0]):
        raise NetworkBlocked(f"tests may not connect beyond loopback: {address[0]!r}")


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            _check_address(address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            _check_address(address)
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _is_loopback(host):
            raise NetworkBlocked(f"tests may not resolve non-loopback hosts: {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield


_OUR_VARIABLES = (
    "SLACK_",
    "DATABASE_URL",
    "JIRA_",
    "GITHUB_",
    "LLM_",
    "PORT",
    "LOG_LEVEL",
    "LOG_FORMAT",
    "OTEL_",
    "WRITE_",
    "APPROVAL_",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "EXECUTOR_ID",
    "DBOS",
    "MAX_CONCURRENT_RUNS",
    "MCP_",
)


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """Tests never inherit the developer's settings or a `.env` in the working directory."""
    for name in list(os.environ):
        if name.upper().startswith(_OUR_VARIABLES):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


# --- Databases: SQLite and PostgreSQL -----------------------------------------------------------

_NO_POSTGRES = "PostgreSQL is not installed here (no initdb/pg_ctl); .ci/run installs it"
BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer | None]:
    """One server for the whole session, or None (tests that need it skip) where it is not installed."""
    try:
        server = PostgresServer.start()
    except FileNotFoundError:
        if os.environ.get("CI"):
            pytest.fail(_NO_POSTGRES)  # CI installs it: a missing server there is a broken CI
        yield None
        return
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer | None) -> Iterator[str]:
    """The URL of a fresh, empty database on the session's PostgreSQL server."""
    if postgres_server is None:
        pytest.skip(_NO_POSTGRES)
    url = postgres_server.create_database()
    yield url
    postgres_server.drop_database(url)


@pytest.fixture(scope="session")
def postgres_template(postgres_server: PostgresServer | None) -> str | None:
    """A database migrated to the newest schema once per session, for others to copy."""
    if postgres_server is None:
        return None
    return postgres_server.create_template("chatops_template", _migrate)


def _migrate(url: str) -> None:
    # On a thread of its own: asyncio.run here must not disturb pytest-asyncio's event loops.
    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(asyncio.run, _open_and_close(url)).result()


async def _open_and_close(url: str) -> None:
    store = await Store.open(url)
    await store.close()
    # The durable engine's own tables too (schema dbos): each copy then launches without DDL.
    await asyncio.to_thread(DBOS.migrate, system_database_url(url)[0])


@pytest.fixture
def migrated_postgres_url(
    postgres_server: PostgresServer | None, postgres_template: str | None
) -> Iterator[str]:
    """A fresh database already at the newest schema (migrations themselves are tested on
    ``postgres_url``): a copy of the session's template."""
    if postgres_server is None:
        pytest.skip(_NO_POSTGRES)
    url = postgres_server.create_database(template=postgres_template)
    yield url
    postgres_server.drop_database(url)


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each backend in turn, so the test id names it (``[sqlite]``, ``[postgresql]``); the
    same URL for the whole test, so a restarted bot finds its data again."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'chatops.db'}"
    return str(request.getfixturevalue("migrated_postgres_url"))


# The suite's longest tests (each waits on real processes: a schedule's minute tick, a replica's
# recovery, a drained run finished elsewhere) go first. Left in file order they start last, and
# one of them alone holds up the end of the run while the other workers sit idle.
_LONG_FIRST = (
    "tests/e2e/test_two_processes.py",
    "tests/e2e/test_fleet.py",
    "tests/e2e/test_fleet_recovery.py",
    "tests/e2e/test_durable_runs.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: not item.nodeid.startswith(_LONG_FIRST))  # stable: file order otherwise
