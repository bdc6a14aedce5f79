"""A throwaway PostgreSQL server for the suite: initdb + pg_ctl into a temporary directory
(in RAM where /dev/shm exists), and cheap fresh databases copied from a migrated template.

Started once per test session on a free loopback port when PostgreSQL is installed (Debian
keeps the binaries in /usr/lib/postgresql/<version>/bin, off PATH). PostgreSQL refuses to run
as root, so as root the server runs as the ``postgres`` user the Debian package creates.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

_USER = "chatops"
# A server for tests: durability traded for speed.
_SETTINGS = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"


def find_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return candidates[0] if candidates else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _memory_backed() -> str | None:
    """A RAM-backed directory where there is one. Each test copies the template database; on
    tmpfs that took ~0.03 s, on this machine's disk ~0.3 s (fsync off either way)."""
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK) else None


def _as_server_user(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "postgres", "--", *argv]


@dataclass
class PostgresServer:
    directory: Path
    port: int
    _names: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @classmethod
    def start(cls) -> PostgresServer:
        initdb, pg_ctl = find_bin("initdb"), find_bin("pg_ctl")
        if initdb is None or pg_ctl is None:
            raise FileNotFoundError("initdb/pg_ctl not found")
        directory = Path(tempfile.mkdtemp(prefix="chatops-pg-", dir=_memory_backed()))
        if os.geteuid() == 0:
            shutil.chown(directory, "postgres", "postgres")
        data, port = directory / "data", _free_port()
        subprocess.run(
            _as_server_user(
                [initdb, "-D", str(data), "-U", _USER, "--auth=trust", "-E", "UTF8", "--no-sync"]
            ),
            check=True,
            capture_output=True,
        )
        options = f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 {_SETTINGS}"
        subprocess.run(
            _as_server_user(
                [pg_ctl, "-D", str(data), "-o", options, "-l", str(directory / "log"), "-w", "start"]
            ),
            check=True,
            capture_output=True,
        )
        return cls(directory, port)

    def stop(self) -> None:
        pg_ctl = find_bin("pg_ctl")
        assert pg_ctl is not None
        subprocess.run(
            _as_server_user([pg_ctl, "-D", str(self.directory / "data"), "-m", "immediate", "stop"]),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(self.directory, ignore_errors=True)

    def url(self, name: str) -> str:
        return f"postgresql+psycopg://{_USER}@127.0.0.1:{self.port}/{name}"

    def create_database(self, *, template: str | None = None) -> str:
        """A new database, empty or a copy of ``template``; returns its SQLAlchemy URL.

        Copying a template is a file copy on the server, far cheaper than migrating each new
        database; PostgreSQL refuses it while anyone is connected to the template."""
        name = f"test_{next(self._names)}"
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        self._run(statement)
        return self.url(name)

    def create_template(self, name: str, prepare: Callable[[str], None]) -> str:
        """A database that ``prepare`` fills (given its URL) and that later databases copy."""
        self._run(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        prepare(self.url(name))
        # Closed to connections, so nothing can hold it open and make a copy fail.
        self._run(
            sql.SQL("ALTER DATABASE {} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false").format(
                sql.Identifier(name)
            )
        )
        return name

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        self._run(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def _run(self, statement: sql.Composed) -> None:
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=_USER, dbname="postgres", autocommit=True
        ) as admin:
            admin.execute(statement)
