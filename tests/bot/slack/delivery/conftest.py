"""Fixtures for the delivery tests: the SIMULATED Slack, a client on it whose budget never holds,
and a question in a channel to answer under."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.delivery.budget import SlackBudget
from bot.slack.delivery.client import build_web_client
from simulators.slack import SlackSimulator
from tests.bot.slack.delivery.threads import CHANNEL, TOKEN, USER
from tests.slack_budgets import UNLIMITED


@pytest.fixture
async def sim() -> AsyncIterator[SlackSimulator]:
    async with SlackSimulator(token=TOKEN) as simulator:
        yield simulator


@pytest.fixture
def client(sim: SlackSimulator) -> AsyncWebClient:
    # Budgets are tested on their own (test_budget, test_door); here they never hold.
    return build_web_client(TOKEN, sim.api_url, budget=SlackBudget(limits=UNLIMITED))


@pytest.fixture
def root(sim: SlackSimulator) -> str:
    return sim.post_user_message(CHANNEL, "what is blocking OPS-2?", user=USER)
