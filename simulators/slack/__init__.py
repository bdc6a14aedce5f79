"""SIMULATED Slack: the Web API, response_url webhooks and Socket Mode on loopback.

``SlackSimulator`` keeps a workspace's messages, streams, unfurls and views, enforces Slack's
rate tiers (``tiers``) and checks Block Kit as strictly as Slack does (``blocks``: a pure
validator worded like Slack's own errors). Nothing here talks to Slack.

May import: ``simulators.base``, aiohttp and the standard library; never ``bot``.
"""

from simulators.slack.blocks import block_problems, view_problems
from simulators.slack.simulator import (
    GRANTED_SCOPES,
    RecordedCall,
    SimulatedMessage,
    SlackApiRefusal,
    SlackSimulator,
    SocketAck,
)
from simulators.slack.tiers import DOCUMENTED, TierEnforcer, TierRule

__all__ = [
    "DOCUMENTED",
    "GRANTED_SCOPES",
    "RecordedCall",
    "SimulatedMessage",
    "SlackApiRefusal",
    "SlackSimulator",
    "SocketAck",
    "TierEnforcer",
    "TierRule",
    "block_problems",
    "view_problems",
]
