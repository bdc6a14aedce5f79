"""Each answer ends with a one-line footer (tools, tokens, seconds) unless ANSWER_FOOTER=false."""

from __future__ import annotations

import re

import pytest

from bot.config import Settings
from tests.e2e.conftest import RunningBot, Upstreams
from tests.e2e.slack_requests import SlackRequests

CHANNEL = "C0GENERAL"
FOOTER = re.compile(r"\n_(?P<tools>[^·\n]+) · (?P<tokens>[\d,]+) tokens · \d+\.\d s_$")


@pytest.fixture(params=[True, False], ids=["footer-on", "footer-off"])
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    return settings.model_copy(update={"answer_footer": request.param})


async def test_the_answer_footer_follows_the_setting(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests, settings: Settings
) -> None:
    slack = upstreams.slack
    await bot.post(*slack_requests.command("why is OPS-2 blocked?", channel=CHANNEL))
    await slack.wait_for(lambda: any(c.ok for c in slack.calls("chat.stopStream")), timeout=20)
    await bot.settle()
    root = str(slack.calls("chat.startStream")[-1].args["thread_ts"])
    # One message per answer: the feedback controls are under its text, the footer ends the text.
    (answer,) = [m["text"] for m in slack.thread(CHANNEL, root)[1:]]

    footer = FOOTER.search(answer)
    if settings.answer_footer:
        assert footer is not None, answer
        assert "jira_get_issue" in footer["tools"]
        assert int(footer["tokens"].replace(",", "")) > 0
    else:
        assert footer is None, answer
        assert "tokens ·" not in answer
