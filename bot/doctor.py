"""`chatops doctor`: says which upstreams are configured and whether each answers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.services import github_client, jira_client
from bot.slack_client import build_web_client
from bot.store import Store
from integrations.errors import ChatOpsError


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


async def run_doctor(settings: Settings) -> int:
    checks = await asyncio.gather(
        _database(settings), _slack(settings), _jira(settings), _github(settings), _llm(settings)
    )
    for check in checks:
        print(f"{'✓' if check.ok else '✗'} {check.name:<8} {check.detail}")
    return 0 if all(check.ok for check in checks) else 1


async def _database(settings: Settings) -> Check:
    try:
        store = await Store.open(settings.database_url)
    except ChatOpsError as exc:
        return Check("database", False, exc.message)
    try:
        ok = await store.ready()
    finally:
        await store.close()
    return Check("database", ok, "ready" if ok else "not answering")


async def _slack(settings: Settings) -> Check:
    if settings.slack_bot_token is None:
        return Check("slack", False, "SLACK_BOT_TOKEN is not set (needed for serve and socket)")
    client = build_web_client(settings.slack_bot_token.get_secret_value(), settings.slack_api_url)
    try:
        auth = await client.auth_test()
    except SlackApiError as exc:
        return Check("slack", False, f"auth.test failed: {exc.response.get('error')}")
    except Exception as exc:  # doctor reports every failure rather than stopping at the first
        return Check("slack", False, f"cannot reach {settings.slack_api_url}: {type(exc).__name__}")
    return Check("slack", True, f"team {auth.get('team')!r}, bot user {auth.get('user_id')}")


async def _jira(settings: Settings) -> Check:
    client = jira_client(settings)
    if client is None:
        return Check("jira", False, "off: set JIRA_BASE_URL with JIRA_EMAIL + JIRA_API_TOKEN, or JIRA_PAT")
    async with client:
        return await _upstream("jira", client.myself, f"signed in as {{}} at {settings.jira_base_url}")


async def _github(settings: Settings) -> Check:
    client = github_client(settings)
    if client is None:
        return Check("github", False, "off: set GITHUB_TOKEN")
    async with client:
        return await _upstream("github", client.viewer, f"signed in as {{}} at {settings.github_api_url}")


async def _upstream(name: str, whoami: Callable[[], Awaitable[str]], template: str) -> Check:
    try:
        return Check(name, True, template.format(await whoami()))
    except ChatOpsError as exc:
        return Check(name, False, exc.message)


async def _llm(settings: Settings) -> Check:
    if settings.llm_api_key is None and settings.llm_base_url is None:
        return Check("llm", False, "set LLM_API_KEY (and LLM_BASE_URL for a non-OpenAI endpoint)")
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else ""
    if settings.llm_provider == "anthropic":
        headers = {"x-api-key": key, "anthropic-version": "2023-06-01"}
        url = settings.llm_url + "/v1/models"
    else:
        headers = {"Authorization": f"Bearer {key}"}
        url = settings.llm_url + "/models"
    try:
        async with httpx.AsyncClient(timeout=settings.http_timeout_seconds) as client:
            response = await client.get(url, headers=headers)
    except httpx.HTTPError as exc:
        return Check("llm", False, f"cannot reach {url}: {type(exc).__name__}")
    detail = f"{url} answered {response.status_code}"
    return Check(
        "llm", response.is_success, detail if response.is_success else detail + " (check LLM_API_KEY)"
    )
