"""The one door for every Slack write: the Web API client, Slack's rate tiers, per-workspace
budgets, the delivery ladder (stream → post + update → response_url) and the sinks that render a
run's events into a thread.

Rule: ``chat.postMessage``, ``chat.update``, ``chat.startStream``, ``chat.appendStream`` and
``chat.stopStream`` are called here and nowhere else in ``bot/`` (a test scans the source). A
refused or failed write steps down the ladder or is logged and counted; text is never lost.
Imports: ``slack_sdk``, the shared root modules and ``bot.text``; never listeners or workflows.
"""

from __future__ import annotations

from bot.slack.delivery.chain import SlackChain, SlackSinks
from bot.slack.delivery.client import SlackConnection, build_web_client
from bot.slack.delivery.door import DELIVERY_ERRORS, NO_UNFURL, SlackDelivery, error_code
from bot.slack.delivery.session import AgentSession, Prompt, session_title, suggest_prompts

__all__ = [
    "AgentSession",
    "DELIVERY_ERRORS",
    "NO_UNFURL",
    "Prompt",
    "SlackChain",
    "SlackSinks",
    "SlackConnection",
    "SlackDelivery",
    "build_web_client",
    "error_code",
    "session_title",
    "suggest_prompts",
]
