"""views.open in the SIMULATED Slack: a trigger opens one modal; a view beyond the limits is refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from simulators.slack import SlackSimulator

TOKEN = "xoxb-test-token"


@pytest.fixture
async def sim() -> AsyncIterator[SlackSimulator]:
    async with SlackSimulator(token=TOKEN) as simulator:
        yield simulator


@pytest.fixture
def client(sim: SlackSimulator) -> AsyncWebClient:
    return AsyncWebClient(token=TOKEN, base_url=sim.api_url)


def _modal(**changes: Any) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": "form",
        "private_metadata": "run-1",
        "title": {"type": "plain_text", "text": "A form"},
        "submit": {"type": "plain_text", "text": "Send"},
        "blocks": [
            {
                "type": "input",
                "block_id": "b",
                "optional": True,
                "label": {"type": "plain_text", "text": "Why"},
                "element": {"type": "plain_text_input", "action_id": "a", "max_length": 500},
            }
        ],
    }
    return {**view, **changes}


async def _error(client: AsyncWebClient, trigger_id: str, view: dict[str, Any]) -> str:
    with pytest.raises(SlackApiError) as raised:
        await client.views_open(trigger_id=trigger_id, view=view)
    return str(raised.value.response["error"])


async def test_a_trigger_opens_one_modal_which_is_recorded(
    sim: SlackSimulator, client: AsyncWebClient
) -> None:
    response = await client.views_open(trigger_id="1.2.abc", view=_modal())
    assert response["view"]["private_metadata"] == "run-1" and response["view"]["id"].startswith("V")
    assert [view["callback_id"] for view in sim.opened_views] == ["form"]
    assert await _error(client, "1.2.abc", _modal()) == "exchanged_trigger_id"
    assert len(sim.opened_views) == 1


async def test_views_beyond_slacks_limits_are_refused(sim: SlackSimulator, client: AsyncWebClient) -> None:
    long_title = {"type": "plain_text", "text": "x" * 25}
    too_long_input = _modal()["blocks"][0] | {
        "element": {"type": "plain_text_input", "action_id": "a", "max_length": 3001}
    }
    assert await _error(client, "", _modal()) == "invalid_trigger_id"
    assert await _error(client, "t1", _modal(title=long_title)) == "invalid_arguments"
    assert await _error(client, "t2", _modal(private_metadata="x" * 3001)) == "invalid_arguments"
    assert await _error(client, "t3", _modal(blocks=[too_long_input])) == "invalid_arguments"
    without_submit = {key: value for key, value in _modal().items() if key != "submit"}
    assert await _error(client, "t4", without_submit) == "invalid_arguments", "a form needs a submit button"
    assert await _error(client, "t5", _modal(type="home")) == "invalid_arguments"
    assert sim.opened_views == []
    # A refused view does not spend the trigger.
    await client.views_open(trigger_id="t1", view=_modal())
    assert len(sim.opened_views) == 1
