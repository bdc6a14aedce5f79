"""A throwaway PostgreSQL server for the suite: initdb + pg_ctl into a temporary directory.

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
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

_USER = "chatops"


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
        directory = Path(tempfile.mkdtemp(prefix="chatops-pg-"))
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
        options = (
            f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
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

    def _admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user=_USER, dbname="postgres", autocommit=True
        )

    def create_database(self) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        name = f"test_{next(self._names)}"
        with self._admin() as admin:
            admin.execute(f"CREATE DATABASE {name}")  # type: ignore[arg-type]
        return f"postgresql+psycopg://{_USER}@127.0.0.1:{self.port}/{name}"

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        with self._admin() as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")  # type: ignore[arg-type]
