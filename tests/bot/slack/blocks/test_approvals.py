"""Proposed writes as Slack messages: the fallback text notifications show is neutralised like the
blocks, and every Block Kit limit holds for the escaped text."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.lookup.link_policy import LinkPolicy
from bot.slack.blocks.approvals import (
    TEXT_CHARS,
    outcome_blocks,
    outcome_text,
    proposal_blocks,
    proposal_text,
)
from bot.store.approvals import ApprovalRecord
from tests.bot.slack.blocks.block_kit import breaches, broken_entities, hostile, live_mentions, mrkdwn_texts

JIRA = "https://acme.atlassian.net"
LINKS = LinkPolicy.for_sites(jira_base_url=JIRA, github_api_url="https://api.github.com")
PREVIEW = "Comment on Jira issue OPS-1:\n<!channel> @here ping <@U0VICTIM> & <#C0SECRET>"
WHEN = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def _record(**changes: Any) -> ApprovalRecord:
    record = ApprovalRecord(
        id="ap-1",
        run_id="run-1",
        call_id="call-1",
        team_id="T0TEAM",
        user_id="U0ASKER",
        channel="C0GENERAL",
        thread_ts="1.0",
        message_ts="2.0",
        tool="jira_add_comment",
        args={"key": "OPS-1", "body": "hi"},
        preview=PREVIEW,
        status="failed",
        idempotency_key="key-1",
        expires_at=WHEN,
        decided_by="U0ASKER",
        decided_at=WHEN,
        result="Jira did not accept the request: no transition '<!here> <@U0VICTIM>' & more",
        result_url=None,
    )
    return dataclasses.replace(record, **changes)


def test_the_proposal_text_notifications_show_cannot_ping() -> None:
    text = proposal_text("jira_add_comment", PREVIEW)
    assert live_mentions(text) == []
    assert text == (
        "Proposed change (jira_add_comment), waiting for approval:\n"
        "Comment on Jira issue OPS-1:\n"
        "&lt;!channel&gt; @\u200dhere ping &lt;@U0VICTIM&gt; &amp; &lt;#C0SECRET&gt;"
    )


def test_a_tool_named_by_an_mcp_server_cannot_ping_either() -> None:
    assert live_mentions(proposal_text("<!channel> tool @everyone", "x")) == []
    assert live_mentions(outcome_text(_record(tool="<@U0VICTIM>", result=None))) == []


def test_the_outcome_text_cannot_ping_with_what_upstream_said() -> None:
    text = outcome_text(_record())
    assert live_mentions(text) == []
    assert text == "The change failed: Jira did not accept the request: no transition " + (
        "'&lt;!here&gt; &lt;@U0VICTIM&gt;' &amp; more"
    )
    assert outcome_text(_record(status="executed", result=None)) == "Done: jira_add_comment"


@pytest.mark.parametrize("length", [1, 200, 201, 2000, 2001, 2999, 3000, 3001, 6000])
def test_proposal_limits_hold_after_escaping(length: int) -> None:
    value = hostile(length)
    text = proposal_text(value, value)
    blocks = proposal_blocks(
        approval_id="ap-1",
        tool=value,
        preview=value,
        user_id="U0ASKER",
        allowed=False,
        refusal=value,
        expires_at=WHEN,
    )
    assert len(text) <= TEXT_CHARS and breaches(blocks) == []
    for shown in [text, *mrkdwn_texts(blocks)]:
        assert broken_entities(shown) == [] and live_mentions(shown) == []


@pytest.mark.parametrize("length", [1, 2000, 2001, 3000, 3001, 6000])
def test_outcome_limits_hold_after_escaping(length: int) -> None:
    value = hostile(length)
    for url in (f"{JIRA}/browse/OPS-1?focusedCommentId=1&x={'&' * length}", value):
        record = _record(tool=value, preview=value, result=value, result_url=url)
        text, blocks = outcome_text(record), outcome_blocks(record, LINKS)
        assert len(text) <= TEXT_CHARS and breaches(blocks) == []
        for shown in [text, *mrkdwn_texts(blocks)]:
            assert broken_entities(shown) == [] and live_mentions(shown) == []


def test_a_result_link_cannot_end_its_sequence_early() -> None:
    record = _record(
        status="executed", result="Commented on OPS-1", result_url=f"{JIRA}/browse/OPS-1?a=1|x>y"
    )
    headline = outcome_blocks(record, LINKS)[0]["text"]["text"]
    assert headline.endswith(f"\n<{JIRA}/browse/OPS-1?a=1%7Cx%3Ey|Open it>")
