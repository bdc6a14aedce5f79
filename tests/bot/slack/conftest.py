"""The served bot of the end-to-end tests (signed requests over HTTP, every upstream simulated),
for tests here that drive Bolt listeners and their middleware through the real server."""

from tests.e2e.conftest import bot, settings, slack_requests, start_bot, upstreams

__all__ = ["bot", "settings", "slack_requests", "start_bot", "upstreams"]
