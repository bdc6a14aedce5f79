"""The Details button under an answer: which tools its run called, how long each took, its tokens.

The click is answered with an ephemeral message in the thread, and only for the person who
asked, as ``/ask why`` is. Why not for everyone in the channel: the answer is what the asker
chose to share, while the trace also holds the tool arguments and result summaries behind it
and what the question cost; one rule for both ways of looking at a trace is also easier to
explain than two. Anyone else who clicks is told whose answer it is.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.runs import RunTrace, RunTraces, render_details
from bot.slack.blocks import ANSWER_DETAILS
from bot.slack.click import Click
from bot.store import Store

NO_DETAILS = "I have no record of that answer any more, so there are no details to show."


def only_the_asker(user_id: str) -> str:
    return f"Only <@{user_id}>, who asked, can see the details of this answer."


async def details_text(traces: RunTraces, run_id: str, *, team_id: str, user_id: str) -> str:
    """What a click on Details shows ``user_id``: the run's trace, or why not."""
    trace = await traces.trace(run_id) if run_id else None
    # Exactly this run, in the clicker's workspace: trace() would also take an id prefix.
    if trace is None or trace.run.id != run_id or trace.run.team_id != team_id:
        return NO_DETAILS
    if trace.run.user_id != user_id:
        return only_the_asker(trace.run.user_id)
    return _rendered(trace)


def _rendered(trace: RunTrace) -> str:
    return render_details(trace, heading="This answer")  # the button sits under one particular answer


def register_details(app: AsyncApp, store: Store) -> None:
    traces = RunTraces(store)

    async def clicked(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        click = Click.of(body)
        text = await details_text(traces, click.value, team_id=click.team_id, user_id=click.user_id)
        await click.tell(client, text)

    app.action(ANSWER_DETAILS)(clicked)
