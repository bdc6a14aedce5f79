"""link_shared → chat.unfurl with the issue / pull request cards, over HTTP against the simulators."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from bot.config import Settings
from tests.e2e.conftest import BOT_TOKEN, SIGNING_SECRET, RunningBot, StartBot, Upstreams
from tests.e2e.slack_requests import ASKER, SlackRequests

CHANNEL = "C0GENERAL"
PR_URL = "https://github.com/acme/payments/pull/42"


def _link_shared(channel: str, message_ts: str, urls: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "type": "link_shared",
        "channel": channel,
        "user": ASKER,
        "message_ts": message_ts,
        "unfurl_id": f"Uf{uuid.uuid4().hex[:8].upper()}",
        "source": "conversations_history",
        "links": [{"domain": url.split("/")[2].split(":")[0], "url": url} for url in urls],
        **extra,
    }


def _text(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks)


async def _unfurled(bot: RunningBot, upstreams: Upstreams, calls: int = 1) -> None:
    await upstreams.slack.wait_for(lambda: len(upstreams.slack.calls("chat.unfurl")) >= calls, timeout=10)
    await bot.settle()


async def test_jira_and_github_links_get_their_cards_and_other_links_are_left_alone(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    jira_url = f"{upstreams.jira.url}/browse/OPS-2"
    urls = [jira_url, PR_URL, "https://example.com/browse/OPS-1", "https://github.com/acme/payments"]
    ts = upstreams.slack.post_user_message(CHANNEL, "see " + " and ".join(f"<{url}>" for url in urls))

    response = await bot.post(*slack_requests.event(_link_shared(CHANNEL, ts, urls)))
    assert response.status_code == 200
    await _unfurled(bot, upstreams)

    (call,) = upstreams.slack.calls("chat.unfurl")
    assert call.ok and (call.args["channel"], call.args["ts"]) == (CHANNEL, ts)
    unfurls = upstreams.slack.unfurls(CHANNEL, ts)
    assert set(unfurls) == {jira_url, PR_URL}
    jira_card = _text(unfurls[jira_url]["blocks"])
    assert "OPS-2: Roll out payments v2 to all regions" in jira_card
    assert "Blocked" in jira_card and "Fox Mulder" in jira_card and "OPS-1" in jira_card
    assert "Open in Jira" in jira_card
    pr_card = _text(unfurls[PR_URL]["blocks"])
    assert "acme/payments#42" in pr_card and "failing: integration-tests" in pr_card
    # Nothing was read for the links that are not ours.
    assert [r.path for r in upstreams.jira.requests if "/issue/" in r.path] == ["/rest/api/3/issue/OPS-2"]


async def test_an_issue_link_that_is_a_pull_request_gets_the_pull_request_card(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    url = "https://github.com/acme/payments/issues/42"
    ts = upstreams.slack.post_user_message(CHANNEL, f"<{url}>")

    await bot.post(*slack_requests.event(_link_shared(CHANNEL, ts, [url])))
    await _unfurled(bot, upstreams)

    assert "CI" in _text(upstreams.slack.unfurls(CHANNEL, ts)[url]["blocks"])


async def test_a_missing_issue_is_not_unfurled_and_does_not_stop_the_others(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    missing, present = f"{upstreams.jira.url}/browse/OPS-999", f"{upstreams.jira.url}/browse/OPS-3"
    ts = upstreams.slack.post_user_message(CHANNEL, f"<{missing}> <{present}>")

    await bot.post(*slack_requests.event(_link_shared(CHANNEL, ts, [missing, present])))
    await _unfurled(bot, upstreams)

    assert set(upstreams.slack.unfurls(CHANNEL, ts)) == {present}


async def test_a_redelivered_event_unfurls_once(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    url = f"{upstreams.jira.url}/browse/OPS-1"
    ts = upstreams.slack.post_user_message(CHANNEL, f"<{url}>")
    event = _link_shared(CHANNEL, ts, [url])

    for _ in range(2):
        assert (await bot.post(*slack_requests.event(event, event_id="EvUNFURL1"))).status_code == 200
    await _unfurled(bot, upstreams)

    assert len(upstreams.slack.calls("chat.unfurl")) == 1


async def test_a_link_in_the_composer_unfurls_by_unfurl_id(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    event = _link_shared("COMPOSER", "Uf-composer-ts", [PR_URL], source="composer", unfurl_id="UfCOMPOSE1")

    await bot.post(*slack_requests.event(event))
    await _unfurled(bot, upstreams)

    (call,) = upstreams.slack.calls("chat.unfurl")
    assert call.ok and "channel" not in call.args
    assert set(upstreams.slack.unfurls("composer", "UfCOMPOSE1")) == {PR_URL}


class TestAllowlists:
    @pytest.fixture
    def settings(self, upstreams: Upstreams, database_url: str) -> Settings:
        return Settings.load(
            "serve",
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=upstreams.slack.api_url,
            database_url=database_url,
            jira_base_url=upstreams.jira.url,
            jira_email="bot@acme.test",
            jira_api_token="jira-e2e-token",
            jira_projects="OPS",
            github_api_url=upstreams.github.url,
            github_token="ghp_e2etoken",
            github_repos="acme/other",
            llm_base_url=upstreams.llm.base_url,
            llm_api_key="sk-e2e-key",
        )

    async def test_links_outside_the_allowlists_are_not_read_or_unfurled(
        self, start_bot: StartBot, upstreams: Upstreams, slack_requests: SlackRequests
    ) -> None:
        bot = await start_bot()
        allowed, other_project = f"{upstreams.jira.url}/browse/OPS-3", f"{upstreams.jira.url}/browse/SEC-1"
        urls = [other_project, PR_URL, allowed]
        ts = upstreams.slack.post_user_message(CHANNEL, " ".join(f"<{url}>" for url in urls))

        await bot.post(*slack_requests.event(_link_shared(CHANNEL, ts, urls)))
        # The one allowed link is unfurled once every link was dealt with: the others were refused.
        await _unfurled(bot, upstreams)

        assert set(upstreams.slack.unfurls(CHANNEL, ts)) == {allowed}
        assert [r.path for r in upstreams.jira.requests if "/issue/" in r.path] == ["/rest/api/3/issue/OPS-3"]
        assert [r.path for r in upstreams.github.requests if r.path.startswith("/repos/")] == []
