"""Direct look-ups without the LLM: ``/jira`` and ``/gh`` (request parser and commands), the
neutral card model they and unfurls show, the links an unfurl reads, the Jira keys a message
mentions, and which hosts may become links.

Rule: data only, no Slack: cards are rendered by ``bot.slack.blocks`` or ``bot.console``.
Imports ``integrations``, ``bot.text`` and the shared root modules.
"""

from __future__ import annotations

from bot.lookup.cards import Card, CardRow, NextPage, notice_card
from bot.lookup.commands import Lookup
from bot.lookup.link_policy import LinkPolicy
from bot.lookup.links import LinkReader, Unfurler
from bot.lookup.mentions import Mentions
from bot.lookup.request import parse_github, parse_jira, usage_of

__all__ = [
    "Card",
    "CardRow",
    "LinkPolicy",
    "LinkReader",
    "Lookup",
    "Mentions",
    "NextPage",
    "Unfurler",
    "notice_card",
    "parse_github",
    "parse_jira",
    "usage_of",
]
