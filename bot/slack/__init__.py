"""Everything that speaks Slack: the Bolt app, the HTTP edge, Socket Mode, listener middleware,
the listeners, the one door for writes (``delivery``) and the Block Kit builders (``blocks``).

Rule: the only package that imports ``slack_bolt`` or ``slack_sdk``. It may import every package
below it (services, approvals, workflows, lookup, agent, runs, store and the shared root
modules); nothing below imports it. Listeners stay thin: they read the request, hand the work to
intake, a desk or a look-up, and answer through ``bot.slack.delivery``. Every text that reaches
Slack is neutralised by ``bot.text.render`` first.
"""

from __future__ import annotations

from bot.slack.probe import ProbeFailed, identify
from bot.slack.server import run_http
from bot.slack.socket import run_socket

__all__ = [
    "ProbeFailed",
    "identify",
    "run_http",
    "run_socket",
]
