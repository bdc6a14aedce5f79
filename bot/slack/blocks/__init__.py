"""Block Kit builders: cards, approval previews and outcomes, digests, the feedback dialog.

Rule: pure functions from our models to Slack's JSON; no I/O. Every text piece passes through
``bot.text.render`` (neutralised, escaped, then clipped so each Block Kit limit holds after
escaping); URLs become links only where ``bot.lookup.link_policy.LinkPolicy`` allows.
"""

from __future__ import annotations

from bot.slack.blocks.approvals import (
    APPROVE,
    DENY,
    EDIT,
    EDIT_VIEW,
    edit_modal,
    field_block_id,
    outcome_blocks,
    outcome_text,
    proposal_blocks,
    proposal_text,
    request_blocks,
    request_text,
    submitted_arguments,
)
from bot.slack.blocks.cards import (
    MORE_ACTION,
    SlackMessage,
    card_blocks,
    card_message,
    parse_more_value,
    without_more_button,
)
from bot.slack.blocks.digest import digest_message
from bot.slack.blocks.feedback import (
    ANSWER_DETAILS,
    ANSWER_FEEDBACK,
    FEEDBACK_DOWN,
    FEEDBACK_UP,
    REASON_BLOCK,
    REASON_LIMIT,
    REASON_VIEW,
    TOO_LONG,
    feedback_blocks,
    feedback_value,
    reason_modal,
    submitted_reason,
    submitted_run_id,
)
from bot.slack.blocks.stop import ANSWER_STOP, stop_blocks

__all__ = [
    "ANSWER_DETAILS",
    "ANSWER_FEEDBACK",
    "ANSWER_STOP",
    "APPROVE",
    "DENY",
    "EDIT",
    "EDIT_VIEW",
    "FEEDBACK_DOWN",
    "FEEDBACK_UP",
    "MORE_ACTION",
    "REASON_BLOCK",
    "REASON_LIMIT",
    "REASON_VIEW",
    "SlackMessage",
    "TOO_LONG",
    "card_blocks",
    "card_message",
    "digest_message",
    "edit_modal",
    "feedback_blocks",
    "feedback_value",
    "field_block_id",
    "outcome_blocks",
    "outcome_text",
    "parse_more_value",
    "proposal_blocks",
    "proposal_text",
    "request_blocks",
    "request_text",
    "reason_modal",
    "stop_blocks",
    "submitted_arguments",
    "submitted_reason",
    "submitted_run_id",
    "without_more_button",
]
