"""`chatops doctor`: says which upstreams are configured and whether each answers."""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass

import httpx
from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.slack_client import build_web_client
from bot.store import Store


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
    except Exception as exc:  # doctor reports every failure rather than stopping at one
        return Check("database", False, str(exc))
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
    except Exception as exc:
        return Check("slack", False, f"cannot reach {settings.slack_api_url}: {type(exc).__name__}")
    return Check("slack", True, f"team {auth.get('team')!r}, bot user {auth.get('user_id')}")


async def _jira(settings: Settings) -> Check:
    if not settings.jira_enabled or settings.jira_base_url is None:
        return Check("jira", False, "off: set JIRA_BASE_URL with JIRA_EMAIL + JIRA_API_TOKEN, or JIRA_PAT")
    if settings.jira_pat is not None:
        headers = {"Authorization": f"Bearer {settings.jira_pat.get_secret_value()}"}
        path = "/rest/api/2/myself"
    else:
        assert settings.jira_api_token is not None
        basic = f"{settings.jira_email}:{settings.jira_api_token.get_secret_value()}".encode()
        headers = {"Authorization": f"Basic {base64.b64encode(basic).decode()}"}
        path = "/rest/api/3/myself"
    return await _probe("jira", settings.jira_base_url + path, headers, settings.http_timeout_seconds)


async def _github(settings: Settings) -> Check:
    if settings.github_token is None:
        return Check("github", False, "off: set GITHUB_TOKEN")
    headers = {
        "Authorization": f"Bearer {settings.github_token.get_secret_value()}",
        "Accept": "application/vnd.github+json",
        "User-Agent": "chatops-bot",
    }
    return await _probe(
        "github", settings.github_api_url + "/rate_limit", headers, settings.http_timeout_seconds
    )


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
    return await _probe("llm", url, headers, settings.http_timeout_seconds)


async def _probe(name: str, url: str, headers: dict[str, str], seconds: float) -> Check:
    try:
        async with httpx.AsyncClient(timeout=seconds) as client:
            response = await client.get(url, headers=headers)
    except httpx.HTTPError as exc:
        return Check(name, False, f"cannot reach {url}: {type(exc).__name__}")
    if response.is_success:
        return Check(name, True, f"{url} answered {response.status_code}")
    return Check(name, False, f"{url} answered {response.status_code}")
