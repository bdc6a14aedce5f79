"""Signed ``view_submission`` requests, the way Slack sends a submitted modal."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import urlencode

from tests.e2e.slack_requests import ASKER, TEAM, SlackRequests


def view_submission(
    requests: SlackRequests, view: dict[str, Any], values: dict[str, str], *, user: str = ASKER
) -> tuple[str, dict[str, str]]:
    """Submit ``view`` (as the app opened it) with each input block's value replaced by ``values``.

    Inputs not named keep their initial value, as in Slack's form.
    """
    state: dict[str, Any] = {}
    for block in view.get("blocks", []):
        if block.get("type") != "input":
            continue
        element = block["element"]
        value = values.get(block["block_id"], element.get("initial_value"))
        state[block["block_id"]] = {element["action_id"]: {"type": element["type"], "value": value}}
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "sim"},
        "user": {"id": user, "username": "asker", "team_id": TEAM},
        "api_app_id": "A0SIMAPP",
        "token": "deprecated",
        "trigger_id": uuid.uuid4().hex,
        "view": {
            "id": f"V{uuid.uuid4().hex[:10].upper()}",
            "team_id": TEAM,
            "type": "modal",
            "callback_id": view["callback_id"],
            "private_metadata": view.get("private_metadata", ""),
            "blocks": view.get("blocks", []),
            "state": {"values": state},
        },
    }
    body = urlencode({"payload": json.dumps(payload)})
    headers = {"Content-Type": "application/x-www-form-urlencoded", **requests.sign(body)}
    return body, headers
