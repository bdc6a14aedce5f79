"""Suite-wide fixtures: no network beyond loopback, and no developer environment leaking in."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from typing import Any

import pytest

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
)


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """Tests never inherit the developer's settings or a `.env` in the working directory."""
    for name in list(os.environ):
        if name.upper().startswith(_OUR_VARIABLES):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


# --- PostgreSQL ---------------------------------------------------------------------------------

_NO_POSTGRES = "PostgreSQL is not installed here (no initdb/pg_ctl); .ci/run installs it"


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
