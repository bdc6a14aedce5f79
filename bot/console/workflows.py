"""The structured workflows in the terminal: /standup, /triage KEY and /jira create.

The console thread is a thread like any other: `/jira create` drafts from what was said in it so
far, and the proposed writes of `/triage` and `/jira create` go to the console's approval
prompt (y / n / e) like the agent's own proposals.
"""

from __future__ import annotations

from bot.console.digest import digest_text
from bot.errors import InputRejected
from bot.ports import Origin
from bot.store import Asker
from bot.text import explain
from bot.workflows import Workflows, parse_request
from integrations.errors import ChatOpsError

NOT_AVAILABLE = "The structured workflows are not set up in this bot."
# A schedule posts into a Slack channel at its hour; a terminal session has no channel to post to.
SLACK_ONLY = "Scheduled digests are posted in a Slack channel: use `/standup schedule …` there."
_SCHEDULING = ("schedule", "schedules", "unschedule")


async def standup_text(workflows: Workflows | None, asker: Asker, text: str) -> str:
    """The digest for `/standup <text>` as terminal text, or what went wrong; recorded (and priced)
    as the asker's run, like Slack's."""
    if workflows is None:
        return NOT_AVAILABLE
    if text.strip().split(" ", 1)[0].lower() in _SCHEDULING:
        return SLACK_ONLY
    try:
        result = await workflows.standup.run(workflows.standup.scope(text), asker)
    except ChatOpsError as exc:
        return explain(exc)
    return digest_text(result.digest, problems=result.facts.problems)


async def start_triage(workflows: Workflows | None, asker: Asker, text: str) -> str | None:
    """Start `/triage <text>` in the asker's thread; a message instead when it cannot start."""
    if workflows is None:
        return NOT_AVAILABLE
    try:
        key = workflows.drafted.triager.key(text)
        await workflows.drafted.triage(asker, key, _origin(asker))
    except ChatOpsError as exc:
        return explain(exc)
    return None


async def start_issue(workflows: Workflows | None, asker: Asker, text: str) -> str | None:
    """Start `/jira create <text>`: a draft from the current thread and the words given."""
    if workflows is None:
        return NOT_AVAILABLE
    store = workflows.drafted.store
    try:
        request = parse_request(text, workflows.default_project)
        conversation = await store.find_conversation(asker.team_id, asker.channel, asker.thread_ts)
        thread = tuple(await store.history(conversation)) if conversation is not None else ()
        if not request.text and not thread:
            raise InputRejected("Say what the issue is about, e.g. `/jira create OPS checkout times out`.")
        await workflows.drafted.issue_from_thread(asker, request, thread, _origin(asker))
    except ChatOpsError as exc:
        return explain(exc)
    return None


def _origin(asker: Asker) -> Origin:
    # The session routes the console's runs to its own sink; proposals wait for y / n / e there.
    return Origin("console", asker.team_id, asker.channel, asker.thread_ts, asker.user_id)
