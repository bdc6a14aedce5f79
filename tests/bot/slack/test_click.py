"""Click: the facts of a button click, read from Slack's interaction payloads and their variants."""

from __future__ import annotations

from bot.slack.click import Click


def test_a_click_in_a_thread_names_the_action_the_clicker_and_the_message() -> None:
    body = {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": "U1", "team_id": "T1"},
        "channel": {"id": "C1"},
        "container": {"type": "message", "channel_id": "C1", "message_ts": "2.0"},
        "message": {"ts": "2.0", "thread_ts": "1.0"},
        "trigger_id": "trig",
        "actions": [{"action_id": "answer_stop", "value": "run-1"}],
    }
    assert Click.of(body) == Click("answer_stop", "run-1", "T1", "U1", "C1", "2.0", "1.0", "trig")


def test_the_fallbacks_slack_payloads_need() -> None:
    # An ephemeral message has no `message`; an org-wide app may give the team only on the user;
    # the channel may be only on the container.
    body = {
        "user": {"id": "U2", "team_id": "T2"},
        "container": {"type": "message", "channel_id": "C2", "message_ts": "3.0", "is_ephemeral": True},
        "actions": [{"action_id": "answer_details", "value": "run-2"}],
    }
    click = Click.of(body)
    assert (click.team_id, click.channel_id, click.message_ts, click.thread_ts) == ("T2", "C2", "3.0", None)


def test_a_view_submission_still_names_who_submitted() -> None:
    click = Click.of({"type": "view_submission", "team": {"id": "T3"}, "user": {"id": "U3"}})
    assert (click.team_id, click.user_id, click.action_id, click.value) == ("T3", "U3", "", "")
