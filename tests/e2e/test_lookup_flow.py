"""/jira and /gh over HTTP: ack, a visible parent, the card in its thread; "More" pages a list."""

from __future__ import annotations

import copy
import re
from typing import Any

from simulators.slack import RecordedCall, SlackSimulator
from tests.e2e.conftest import RunningBot, Upstreams
from tests.e2e.slack_requests import ASKER, SlackRequests

CHANNEL = "C0GENERAL"


async def _command(bot: RunningBot, requests: SlackRequests, command: str, text: str, **options: Any) -> None:
    response = await bot.post(*requests.command(text, channel=CHANNEL, command=command, **options))
    assert response.status_code == 200
    assert response.text == "", "the command is acknowledged at once, with no text of its own"


async def _card_in_thread(slack: SlackSimulator, count: int = 1) -> RecordedCall:
    def replies() -> list[RecordedCall]:
        return [c for c in slack.calls("chat.postMessage") if c.ok and c.args.get("thread_ts")]

    await slack.wait_for(lambda: len(replies()) >= count)
    return replies()[count - 1]


def _buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [element for block in blocks if block["type"] == "actions" for element in block["elements"]]


def _text(blocks: list[dict[str, Any]]) -> str:
    parts: list[str] = []
    for block in blocks:
        parts.append(block.get("text", {}).get("text", ""))
        parts.extend(field["text"] for field in block.get("fields", []))
        parts.extend(
            element.get("text", "") for element in block.get("elements", []) if block["type"] == "context"
        )
    return "\n".join(parts)


async def test_jira_key_posts_a_parent_and_the_issue_card_in_its_thread(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    await _command(bot, slack_requests, "/jira", "OPS-2")
    card = await _card_in_thread(upstreams.slack)

    (parent,) = [c for c in upstreams.slack.calls("chat.postMessage") if not c.args.get("thread_ts")]
    assert parent.args["text"] == f"<@{ASKER}> looked up: /jira OPS-2"
    root = upstreams.slack.thread(CHANNEL, card.args["thread_ts"])[0]
    assert root["text"] == parent.args["text"], "the card answers under the visible parent"

    blocks = card.args["blocks"]
    text = _text(blocks)
    assert "OPS-2: Roll out payments v2 to all regions" in text
    assert "*Status*\nBlocked" in text and "*Assignee*\nFox Mulder" in text
    assert "is blocked by" in text and "OPS-1" in text
    (button,) = _buttons(blocks)
    assert button["url"] == f"{upstreams.jira.url}/browse/OPS-2"
    assert card.args["text"].startswith("OPS-2:"), "a fallback text for notifications"
    assert upstreams.llm.chat_requests() == [], "no LLM for a direct command"


async def test_jira_jql_lists_a_page_and_more_posts_the_next_one(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    keys = _at_least_two_pages(upstreams)
    await _command(bot, slack_requests, "/jira", "project = OPS ORDER BY key ASC")
    first = await _card_in_thread(upstreams.slack)
    assert _keys(first.args["blocks"]) == keys[:10]
    (more,) = _buttons(first.args["blocks"])
    assert more["action_id"] == "jira_more"

    message = upstreams.slack.message(CHANNEL, _ts_of(upstreams.slack, first))
    assert message is not None
    click = slack_requests.block_action(
        {"action_id": more["action_id"], "block_id": "jira_more", "value": more["value"]}, message=message
    )
    response = await bot.post(*click)
    assert response.status_code == 200
    second = await _card_in_thread(upstreams.slack, 2)
    assert second.args["thread_ts"] == first.args["thread_ts"]
    assert _keys(second.args["blocks"]) == keys[10:20]
    assert bool(_buttons(second.args["blocks"])) == (len(keys) > 20)

    updated = upstreams.slack.message(CHANNEL, message["ts"])
    assert updated is not None and _buttons(updated["blocks"]) == [], "the used More button is gone"

    again = await bot.post(*click)  # a second click on the same button
    assert again.status_code == 200
    await bot.settle()
    assert len([c for c in upstreams.slack.calls("chat.postMessage") if c.args.get("thread_ts")]) == 2


async def test_jira_words_are_turned_into_jql_that_the_list_shows(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    await _command(bot, slack_requests, "/jira", "open bugs in OPS assigned to Dana")
    card = await _card_in_thread(upstreams.slack)
    text = _text(card.args["blocks"])
    assert _keys(card.args["blocks"]) == ["OPS-1"]
    assert "`project = OPS AND issuetype = Bug" in text, "the JQL used is shown"
    assert len(upstreams.llm.chat_requests()) == 1, "one model call to write the JQL, no agent run"


async def test_gh_pull_request_card_says_ci_is_failing_and_links_to_github(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    await _command(bot, slack_requests, "/gh", "acme/payments#42")
    card = await _card_in_thread(upstreams.slack)
    text = _text(card.args["blocks"])
    assert "acme/payments#42: Keep idempotency key" in text
    assert "*CI*\nfailing: integration-tests" in text and "fmulder" in text
    (button,) = _buttons(card.args["blocks"])
    assert button["url"] == "https://github.com/acme/payments/pull/42"


async def test_a_failed_lookup_is_one_sentence_in_the_thread(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    await _command(bot, slack_requests, "/gh", "acme/payments#999")
    card = await _card_in_thread(upstreams.slack)
    assert card.args["text"] == "acme/payments#999 was not found on GitHub, or the bot has no access to it."


async def test_where_the_bot_cannot_post_the_card_goes_to_the_asker_alone(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    slack = upstreams.slack
    slack.refuse("chat.postMessage", "not_in_channel")
    await _command(bot, slack_requests, "/jira", "OPS-1", response_url=f"{slack.url}/respond/tok1")
    await slack.wait_for(lambda: bool(slack.calls("response_url")))
    (private,) = slack.calls("response_url")
    assert private.args["response_type"] == "ephemeral"
    assert "OPS-1: Fix duplicate charges" in _text(private.args["blocks"])


async def test_more_on_a_private_list_answers_privately(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    keys = _at_least_two_pages(upstreams)
    slack = upstreams.slack
    slack.refuse("chat.postMessage", "not_in_channel")
    respond_to = f"{slack.url}/respond/tok2"
    await _command(bot, slack_requests, "/jira", "project = OPS ORDER BY key ASC", response_url=respond_to)
    await slack.wait_for(lambda: bool(slack.calls("response_url")))
    (more,) = _buttons(slack.calls("response_url")[0].args["blocks"])

    action = {"action_id": more["action_id"], "block_id": "jira_more", "value": more["value"]}
    click = slack_requests.block_action(
        action, message={"ts": "1700000000.000999"}, ephemeral=True, response_url=respond_to
    )
    assert (await bot.post(*click)).status_code == 200
    await slack.wait_for(lambda: len(slack.calls("response_url")) >= 2)
    second = slack.calls("response_url")[1]
    assert second.args["replace_original"] is False
    assert _keys(second.args["blocks"]) == keys[10:20]
    assert not [c for c in slack.calls("chat.postMessage") if c.ok], "nothing was posted in the channel"


async def test_an_empty_command_answers_usage_in_the_ack(
    bot: RunningBot, slack_requests: SlackRequests
) -> None:
    response = await bot.post(*slack_requests.command("", channel=CHANNEL, command="/gh"))
    assert response.status_code == 200 and "owner/repo#42" in response.text


def _number(key: str) -> int:
    return int(key.rpartition("-")[2])


def _keys(blocks: list[dict[str, Any]]) -> list[str]:
    return re.findall(r"\|(OPS-\d+)>", _text(blocks))


def _ts_of(slack: SlackSimulator, call: RecordedCall) -> str:
    """The ts the simulator gave the message posted by ``call``."""
    for message in slack.thread(CHANNEL, str(call.args["thread_ts"])):
        if message["blocks"] == call.args["blocks"]:
            return str(message["ts"])
    raise AssertionError("the posted card is not in the thread")


def _at_least_two_pages(upstreams: Upstreams) -> list[str]:
    """The OPS keys in key order, after adding issues if the seed has no second page of 10."""
    count = len([i for i in upstreams.jira.issues if i["key"].startswith("OPS-")])
    if count <= 10:
        _add_issues(upstreams, 11 - count)
    return sorted((i["key"] for i in upstreams.jira.issues if i["key"].startswith("OPS-")), key=_number)


def _add_issues(upstreams: Upstreams, count: int) -> None:
    issues = upstreams.jira.seed["issues"]
    template = next(issue for issue in issues if issue["key"] == "OPS-3")
    for n in range(count):
        issue = copy.deepcopy(template)
        issue.update(id=str(20000 + n), key=f"OPS-{900 + n}", summary=f"Generated task {n}")
        issues.append(issue)


async def test_jira_count_posts_the_count_and_the_jql_it_counted(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    await _command(bot, slack_requests, "/jira", "count project = OPS AND status = Blocked")
    card = await _card_in_thread(upstreams.slack)

    (parent,) = [c for c in upstreams.slack.calls("chat.postMessage") if not c.args.get("thread_ts")]
    assert parent.args["text"] == f"<@{ASKER}> looked up: /jira count project = OPS AND status = Blocked"
    (counted,) = upstreams.jira.requests_to("/rest/api/3/search/approximate-count")
    text = _text(card.args["blocks"])
    assert re.match(r"\*About \d+ issues? match\*", text), text
    assert f"`{counted.body['jql']}`" in text, "the JQL actually counted is shown"
    assert card.args["text"].startswith("About "), "a fallback text for notifications"
    assert upstreams.jira.requests_to("/rest/api/3/search/jql") == [], "counted, not listed"
    assert upstreams.llm.chat_requests() == []


async def test_gh_runs_lists_the_runs_of_a_branch_with_links_and_ids(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    await _command(bot, slack_requests, "/gh", "runs acme/payments fix/idempotency-retry")
    card = await _card_in_thread(upstreams.slack)

    (listed,) = upstreams.github.requests_to("/repos/acme/payments/actions/runs")
    assert listed.query["branch"] == "fix/idempotency-retry"
    text = _text(card.args["blocks"])
    assert "acme/payments: 1 workflow run on fix/idempotency-retry" in text
    assert "<https://github.com/acme/payments/actions/runs/6100421|CI #318>" in text
    assert "failure · fix/idempotency-retry" in text and "run 6100421" in text
    assert "/gh jobs acme/payments &lt;run&gt;" in text, "says how to ask for the jobs"
    assert upstreams.llm.chat_requests() == []


async def test_gh_log_posts_the_end_of_the_job_log_as_a_code_block(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    await _command(bot, slack_requests, "/gh", "log acme/payments 9100423")
    card = await _card_in_thread(upstreams.slack)
    (code,) = [b for b in card.args["blocks"] if b.get("text", {}).get("text", "").startswith("```")]
    assert code["text"]["text"].endswith("##[error]Process completed with exit code 1.\n```")
    assert "AssertionError: expected 1 charge for order 1001, found 2" in code["text"]["text"]


async def test_a_malformed_sub_command_answers_its_usage_to_the_asker_alone(
    bot: RunningBot, upstreams: Upstreams, slack_requests: SlackRequests
) -> None:
    response = await bot.post(
        *slack_requests.command("jobs acme/payments latest", channel=CHANNEL, command="/gh")
    )
    assert response.status_code == 200 and response.text.startswith("Usage: `/gh jobs owner/repo <run id>`")
    response = await bot.post(*slack_requests.command("transitions", channel=CHANNEL, command="/jira"))
    assert response.status_code == 200 and response.text == "Usage: `/jira transitions OPS-123`."
    await bot.settle()
    assert upstreams.slack.calls("chat.postMessage") == [], "nothing is posted in the channel"
    assert upstreams.github.requests == [] and upstreams.jira.requests == []
