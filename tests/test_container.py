"""The container path (``Dockerfile``, ``compose.yaml``) read as files: docker is not needed to
check that the image runs the bot as a non-root user with a health check on /healthz, and that
compose passes the bot only settings it reads, with PostgreSQL healthy before the bot starts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.config import Settings

ROOT = Path(__file__).resolve().parent.parent


def _compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "compose.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def _dockerfile() -> list[str]:
    lines = (ROOT / "Dockerfile").read_text().replace("\\\n", " ").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def test_the_image_is_slim_python_and_runs_serve_as_a_non_root_user_with_a_health_check() -> None:
    lines = _dockerfile()
    instruction = {line.split()[0]: line for line in lines}
    assert instruction["FROM"].startswith("FROM python:3.11-slim")
    users = [index for index, line in enumerate(lines) if line.startswith("USER ")]
    assert users and lines[users[-1]].split()[1] not in ("root", "0")
    assert users[-1] < next(index for index, line in enumerate(lines) if line.startswith("CMD "))
    assert "/healthz" in instruction["HEALTHCHECK"]
    assert instruction["CMD"] == 'CMD ["chatops", "serve"]'


def test_compose_runs_the_bot_after_a_healthy_postgresql_with_a_volume() -> None:
    compose = _compose()
    bot, db = compose["services"]["bot"], compose["services"]["db"]
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert "/healthz" in " ".join(bot["healthcheck"]["test"])
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    (volume,) = db["volumes"]
    assert volume.split(":")[0] in compose["volumes"]
    assert bot["env_file"] == ".env", "secrets come from .env, never from the compose file"


def test_every_variable_compose_passes_the_bot_is_a_setting_it_reads() -> None:
    settings = {name.upper() for name in Settings.model_fields}
    passed = set(_compose()["services"]["bot"]["environment"])
    assert passed and passed <= settings, passed - settings
    assert _compose()["services"]["bot"]["environment"]["DATABASE_URL"].startswith("postgresql://")
