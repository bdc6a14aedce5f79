"""Text from the LLM or from Jira/GitHub never reaches Slack with live control sequences."""

from __future__ import annotations

import json
import time
from typing import Any

from bot.slack.blocks.approvals import APPROVE, EDIT, field_block_id
from simulators.llm import ToolCall
from simulators.slack import RecordedCall, SlackSimulator
from tests.e2e.conftest import RunningBot, Upstreams
from tests.e2e.slack_requests import ASKER, BOT_USER, SlackRequests
from tests.e2e.slack_views import view_submission
from tests.e2e.test_approval_flow import approval_ids, ask, click, proposal_calls, replied, shown, until

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


async def test_approval_messages_cannot_ping_through_their_notification_text(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    """The fallback ``text`` of a proposal, of its edited version and of its outcome is what
    notifications show: the model's draft and what Jira answered must not ping anyone there."""
    drafted = ToolCall("jira_transition", {"key": "OPS-1", "transition": "<!channel> @here <@U0VICTIM>"})
    upstreams.llm.script([[drafted], "The transition did not go through."])
    await ask(bot, upstreams, slack_requests, "move OPS-1 along")
    (approval_id,) = approval_ids(upstreams.slack)

    await click(bot, upstreams, slack_requests, approval_id, EDIT)
    await upstreams.slack.wait_for(lambda: bool(upstreams.slack.calls("views.open")))
    opened = upstreams.slack.calls("views.open")[0].args
    view = opened["view"] if isinstance(opened["view"], dict) else json.loads(opened["view"])
    edited = "<!everyone> <!subteam^S0TEAM> @channel"
    response = await bot.post(*view_submission(slack_requests, view, {field_block_id("transition"): edited}))
    assert response.status_code == 200
    await upstreams.slack.wait_for(lambda: len(_updates(upstreams.slack, _ts(view))) == 1)
    await click(bot, upstreams, slack_requests, approval_id, APPROVE)
    await until(upstreams.slack, bot, replied(upstreams.slack, "The transition did not go through."))

    proposed, revised, outcome = await _texts(bot, upstreams.slack, approval_id)
    assert (
        proposed.startswith("Proposed change (jira_transition)")
        and "&lt;!channel&gt; @\u200dhere" in proposed
    )
    assert "&lt;!everyone&gt;" in revised and "@\u200dchannel" in revised
    assert outcome.startswith("The change failed") and "&lt;!everyone&gt;" in outcome, (
        "Jira's answer quotes it"
    )
    for text in (proposed, revised, outcome):
        assert [s for s in (*LIVE, "@here", "@channel", "@everyone") if s in text] == []


async def _texts(bot: RunningBot, slack: SlackSimulator, approval_id: str) -> list[str]:
    """The ``text`` Slack was given for the proposal's message: when posted, then at each update."""
    (posted,) = proposal_calls(slack)
    updates = _updates(slack, (await shown(bot, slack, approval_id))["ts"])
    return [str(call.args["text"]) for call in (posted, *updates)]


def _updates(slack: SlackSimulator, ts: str) -> list[RecordedCall]:
    return [call for call in slack.calls("chat.update") if call.ok and call.args.get("ts") == ts]


def _ts(view: dict[str, Any]) -> str:
    """The proposal message's ts, as the Edit modal carries it."""
    return str(json.loads(view["private_metadata"])["message_ts"])
