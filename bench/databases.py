"""The PostgreSQL a benchmark measures on: the one given, or a throwaway server (the tests' own)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


@contextlib.contextmanager
def postgres_database(given: str | None) -> Iterator[str | None]:
    """``given``, else a fresh database on a server started for the benchmark (stopped after);
    None, with a line saying so, where PostgreSQL is not installed."""
    if given:
        yield given
        return
    from tests.postgres_server import PostgresServer

    try:
        server = PostgresServer.start()
    except FileNotFoundError:
        print("postgresql  skipped: no initdb/pg_ctl here (or pass --postgres-url)")
        yield None
        return
    try:
        yield server.create_database()
    finally:
        server.stop()
