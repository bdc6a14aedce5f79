"""Fixtures for the DBOS assumption tests: a fresh system database per test on each backend, and
the probe harness that runs real DBOS processes against it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dbos.harness import Probe


@pytest.fixture(params=["sqlite", "postgresql"])
def system_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """DBOS's system database: a file of its own on SQLite, an empty database on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'dbos-system.sqlite'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def probe(tmp_path: Path, system_url: str) -> Iterator[Probe]:
    harness = Probe(tmp_path, system_url)
    try:
        yield harness
    finally:
        for output in harness.stop():
            print(output)  # shown only when the test fails
