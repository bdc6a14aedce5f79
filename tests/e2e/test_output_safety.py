"""Text from the LLM or from Jira/GitHub never reaches Slack with live control sequences."""

from __future__ import annotations

import json
import time

from tests.e2e.conftest import RunningBot, Upstreams
from tests.e2e.slack_requests import ASKER, BOT_USER, SlackRequests

LIVE = ("<!channel>", "<!here>", "<!everyone>", "<@U0VICTIM>", "<!subteam^S0TEAM>")


async def test_mentions_written_by_the_model_are_neutralised(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    upstreams.llm.script(
        ["Attention <!channel> and <!here> <!everyone>: ping <@U0VICTIM> and <!subteam^S0TEAM> now"]
    )
    mention = {
        "type": "app_mention",
        "user": ASKER,
        "text": f"<@{BOT_USER}> status?",
        "ts": f"{time.time():.6f}",
        "channel": "C0GENERAL",
    }
    assert (await bot.post(*slack_requests.event(mention))).status_code == 200
    slack = upstreams.slack
    await slack.wait_for(lambda: any(c.ok for c in slack.calls("chat.stopStream")), timeout=20)
    await bot.settle()
    sent = json.dumps([c.args for c in slack.calls() if c.method != "auth.test"])
    assert "Attention" in sent
    for sequence in LIVE:
        assert sequence not in sent
    for call in slack.calls():
        assert not call.args.get("link_names") and call.args.get("parse") != "full"
        if call.method in ("chat.postMessage", "chat.update"):
            assert call.args.get("unfurl_links") in (False, "false", "0", 0)
