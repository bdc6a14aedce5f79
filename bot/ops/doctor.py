"""`chatops doctor`: one line per setting and upstream, with the fix for whatever failed.

Checks: the settings for serve/socket, the database (migrated, then a write), Slack
(``auth.test`` and the granted scopes against ``manifest.yml``), Jira (``myself``), GitHub
(``user`` and the rate limit), and the LLM (a one-token request). An upstream that is not
configured is reported as off and is not a failure; anything configured that does not work
is, and makes the exit code 1.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import httpx
import yaml
from sqlmodel import col, delete

from bot.config import Mode, Settings
from bot.errors import ConfigError
from bot.services import github_client, jira_client
from bot.slack import ProbeFailed, identify
from bot.store import SeenEvent, Store
from integrations.errors import ChatOpsError

Outcome = Literal["ok", "fail", "off"]
_MARKS: dict[Outcome, str] = {"ok": "✓", "fail": "✗", "off": "–"}
MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"
# Below this share of the hourly GitHub budget left, the line says so (still not a failure).
_LOW_RATE_LIMIT = 0.1


@dataclass(frozen=True)
class Check:
    name: str
    outcome: Outcome
    detail: str
    fix: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome != "fail"

    def line(self) -> str:
        text = f"{_MARKS[self.outcome]} {self.name:<9} {self.detail}"
        return f"{text} — fix: {self.fix}" if self.fix else text


def _ok(name: str, detail: str) -> Check:
    return Check(name, "ok", detail)


def _fail(name: str, detail: str, fix: str) -> Check:
    return Check(name, "fail", detail, fix)


async def run_doctor(settings: Settings, *, manifest: Path = MANIFEST) -> int:
    checks = await asyncio.gather(
        _settings(settings),
        _database(settings),
        _slack(settings, manifest),
        _jira(settings),
        _github(settings),
        _llm(settings),
    )
    for check in checks:
        print(check.line())
    return 0 if all(check.ok for check in checks) else 1


async def _settings(settings: Settings) -> Check:
    ready, problems = [], []
    modes: tuple[Mode, ...] = ("serve", "socket")
    for mode in modes:
        try:
            settings.require(mode)
        except ConfigError as exc:
            problems.append(f"{mode}: {exc.message}")
        else:
            ready.append(mode)
    if ready:
        return _ok("settings", f"ready for {' and '.join(ready)}")
    return _fail("settings", "neither serve nor socket can start", "; ".join(problems))


async def _database(settings: Settings) -> Check:
    try:
        store = await Store.open(settings.database_url)  # migrates, as serve does
    except ChatOpsError as exc:
        return _fail("database", exc.message, "set DATABASE_URL to a reachable, writable database")
    try:
        key = f"doctor:{uuid.uuid4().hex}"
        async with store.writing() as session:  # a write proves more than a read: permissions, disk
            session.add(SeenEvent(key=key))
            await session.flush()
            await session.exec(delete(SeenEvent).where(col(SeenEvent.key) == key))
        info = await store.diagnostics()
        revision = await store.schema_revision()
    except Exception as exc:  # doctor reports every failure rather than stopping at the first
        return _fail("database", f"cannot write ({type(exc).__name__})", "check the database's permissions")
    finally:
        await store.close()
    return _ok("database", f"{info['backend']}, schema {revision}, write ok")


async def _slack(settings: Settings, manifest: Path) -> Check:
    if settings.slack_bot_token is None:
        return _fail(
            "slack", "SLACK_BOT_TOKEN is not set", "set SLACK_BOT_TOKEN (needed for serve and socket)"
        )
    try:
        identity = await identify(settings.slack_bot_token.get_secret_value(), settings.slack_api_url)
    except ProbeFailed as exc:
        if exc.reason == "refused":
            return _fail(
                "slack", f"auth.test failed: {exc.detail}", "copy the Bot User OAuth Token (xoxb-) again"
            )
        return _fail("slack", f"cannot reach {settings.slack_api_url}: {exc.detail}", "check SLACK_API_URL")
    who = f"team {identity.team!r}, bot user {identity.user_id}"
    wanted = manifest_scopes(manifest)
    if wanted is None:
        return _ok("slack", f"{who}; scopes not checked ({manifest.name} not found)")
    missing = [scope for scope in wanted if scope not in identity.scopes]
    if missing:
        return _fail(
            "slack",
            f"{who}; missing scopes {', '.join(missing)}",
            "add them under OAuth & Permissions (or update the app from manifest.yml) and reinstall the app",
        )
    return _ok("slack", f"{who}; all {len(wanted)} scopes of {manifest.name} granted")


def manifest_scopes(manifest: Path) -> list[str] | None:
    """The bot scopes the app manifest asks for, or None when there is no manifest to read."""
    try:
        document = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    scopes = _dig(document, "oauth_config", "scopes", "bot")
    return [str(scope) for scope in scopes] if isinstance(scopes, list) else None


def _dig(document: Any, *keys: str) -> Any:
    for key in keys:
        document = document.get(key) if isinstance(document, dict) else None
    return document


async def _jira(settings: Settings) -> Check:
    client = jira_client(settings)
    if client is None:
        return Check(
            "jira", "off", "not configured (set JIRA_BASE_URL with JIRA_EMAIL + JIRA_API_TOKEN, or JIRA_PAT)"
        )
    async with client:
        try:
            who = await client.myself()
        except ChatOpsError as exc:
            return _fail(
                "jira", exc.message, "check JIRA_BASE_URL and the credentials (JIRA_API_TOKEN or JIRA_PAT)"
            )
    return _ok("jira", f"signed in as {who} at {settings.jira_base_url}")


async def _github(settings: Settings) -> Check:
    client = github_client(settings)
    if client is None:
        return Check("github", "off", "not configured (set GITHUB_TOKEN, or the GITHUB_APP_* settings)")
    async with client:
        try:
            who = await client.viewer()
            remaining, limit, reset = await client.rate_limit()
        except ChatOpsError as exc:
            return _fail("github", exc.message, "check GITHUB_API_URL and GITHUB_TOKEN (or the GitHub App)")
    detail = f"signed in as {who} at {settings.github_api_url}; rate limit {remaining}/{limit} left"
    if limit and remaining < limit * _LOW_RATE_LIMIT:
        detail += f", resets in {max(0, reset - int(time.time())) // 60} min"
    return _ok("github", detail)


async def _llm(settings: Settings) -> Check:
    if settings.llm_api_key is None and settings.llm_base_url is None:
        return _fail(
            "llm", "no LLM configured", "set LLM_API_KEY (and LLM_BASE_URL for a non-OpenAI endpoint)"
        )
    url, headers, body = _one_token_request(settings)
    try:
        async with httpx.AsyncClient(timeout=settings.http_timeout_seconds) as client:
            response = await client.post(url, headers=headers, json=body)
    except httpx.HTTPError as exc:
        return _fail("llm", f"cannot reach {url}: {type(exc).__name__}", "check LLM_BASE_URL")
    if response.status_code in (401, 403):
        return _fail("llm", f"{url} answered {response.status_code}", "check LLM_API_KEY")
    if response.status_code == 404:
        return _fail("llm", f"{url} answered 404", "check LLM_BASE_URL and LLM_MODEL")
    if not response.is_success:
        return _fail(
            "llm", f"{url} answered {response.status_code}", "check LLM_MODEL and the provider's status"
        )
    return _ok("llm", f"{settings.llm_model} at {url} answered a one-token request")


def _one_token_request(settings: Settings) -> tuple[str, dict[str, str], dict[str, Any]]:
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else ""
    body: dict[str, Any] = {
        "model": settings.llm_model,
        "max_tokens": 1,
        "messages": [{"role": "user", "content": "ping"}],
    }
    if settings.llm_provider == "anthropic":
        headers = {"x-api-key": key, "anthropic-version": "2023-06-01"}
        return settings.llm_url + "/v1/messages", headers, body
    return settings.llm_url + "/chat/completions", {"Authorization": f"Bearer {key}"}, body
